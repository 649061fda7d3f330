/**
 * Reference (issue 6): the ceiling plus group commit — the pushes that arrive while an INSERT is
 * in flight go together in the next one (one statement, one commit), each answered after it.
 * The same discipline as voice-push's commit batcher (one commit in flight, at most 256 a batch),
 * with nothing else: no validation, no event log, no read model, no Kafka.
 */
import pg from 'pg';
import { acknowledgement, servePushEndpoints } from '../serve-push-endpoints.js';
import { REFERENCE_TABLE_SQL } from './reference-table.js';

const MAX_BATCH = 256;
const client = new pg.Client({ connectionString: process.env['DATABASE_URL'] });
await client.connect();
await client.query(REFERENCE_TABLE_SQL);

interface Pending {
  path: string;
  body: string;
  done: (error?: unknown) => void;
}
const pending: Pending[] = [];
let inFlight = false;

async function flush(): Promise<void> {
  if (inFlight || pending.length === 0) return;
  inFlight = true;
  const batch = pending.splice(0, MAX_BATCH);
  try {
    await client.query('INSERT INTO pushes (path, body) SELECT * FROM unnest($1::text[], $2::jsonb[])', [
      batch.map((p) => p.path),
      batch.map((p) => p.body),
    ]);
    for (const p of batch) p.done();
  } catch (error) {
    for (const p of batch) p.done(error);
  } finally {
    inFlight = false;
    void flush();
  }
}

await servePushEndpoints(
  async (req) => {
    await new Promise<void>((resolve, reject) => {
      pending.push({ path: req.url, body: JSON.stringify(req.body), done: (e) => (e ? reject(e) : resolve()) });
      void flush();
    });
    return acknowledgement(req.body);
  },
  () => client.end(),
);
