// EXPLAIN ANALYZE of GET /v1/calls for several filter sets on 200,000 calls: every one walks an index.
//   npm run build && node bench/list-calls-plans.mjs
import pg from 'pg';
import { DataSource } from 'typeorm';
const { appMigrations } = await import('../dist/apps/voice-push/src/database/database.module.js');
const { listCallsSql } = await import('../dist/apps/voice-push/src/call-sessions/queries/list-calls/list-calls.http.controller.js');
const admin = new pg.Client('postgres://postgres@127.0.0.1:5432/postgres'); await admin.connect();
const name = 'vp_explain_' + Date.now(); await admin.query(`CREATE DATABASE ${name}`);
const db = new DataSource({ type: 'postgres', driver: pg, url: `postgres://postgres@127.0.0.1:5432/${name}`, migrations: appMigrations });
await db.initialize(); await db.runMigrations();
await db.query(`INSERT INTO calls SELECT 'c'||i, 'acc'||(i%200), CASE WHEN i%10=0 THEN 'OPEN' ELSE 'FINALIZED' END, CASE WHEN i%7=0 THEN 'DISCREPANCY' ELSE 'MATCHED' END, (i%37)+1, false, 3, now() - (i||' seconds')::interval, now() - (i||' seconds')::interval, now(), '{}'::jsonb FROM generate_series(1,200000) i`);
await db.query('ANALYZE calls');
const cases = [{ limit: 50 }, { limit: 50, accountId: 'acc7' }, { limit: 50, status: 'OPEN' }, { limit: 50, reconciliation: 'DISCREPANCY', accountId: 'acc3' }, { limit: 50, callResult: 5 }, { limit: 50, from: new Date(Date.now() - 3600e3), to: new Date(Date.now() - 1800e3) }, { limit: 50, status: 'OPEN', after: { openedAt: new Date(Date.now() - 100000e3).toISOString(), callId: 'c5' } }];
for (const q of cases) {
  const { sql, values } = listCallsSql(q);
  const plan = await db.query('EXPLAIN (ANALYZE, FORMAT TEXT) ' + sql, values);
  console.log(JSON.stringify(q), '\n  ', plan.map((r) => r['QUERY PLAN']).filter((l) => /Scan|Execution/.test(l)).join('\n   '));
}
await db.destroy(); await admin.query(`DROP DATABASE ${name}`); await admin.end();
