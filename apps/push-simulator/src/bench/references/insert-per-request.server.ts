/**
 * Reference (issue 6): the ceiling plus one durable write per request — each push's body as a
 * single-row INSERT (its own commit) before the 200. DATABASE_URL names a database the bench
 * made for it; the table is created here.
 */
import pg from 'pg';
import { acknowledgement, servePushEndpoints } from '../serve-push-endpoints.js';
import { REFERENCE_TABLE_SQL } from './reference-table.js';

const pool = new pg.Pool({ connectionString: process.env['DATABASE_URL'], max: 10 });
await pool.query(REFERENCE_TABLE_SQL);

await servePushEndpoints(
  async (req) => {
    await pool.query('INSERT INTO pushes (path, body) VALUES ($1, $2)', [req.url, JSON.stringify(req.body)]);
    return acknowledgement(req.body);
  },
  () => pool.end(),
);
