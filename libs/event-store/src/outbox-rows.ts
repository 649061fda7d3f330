import type { OutboxMessage, SqlExecutor } from './event-store.port.js';

/**
 * The whole batch travels as ONE jsonb parameter (`jsonb_to_recordset`): one JSON.stringify in
 * Node instead of escaping every JSON value into a Postgres array literal, and the values arrive
 * already parsed as jsonb. `ord` keeps the batch's order in the ids the relay sends by.
 */
const INSERT_OUTBOX = `
  INSERT INTO outbox (position, topic, key, value, headers)
  SELECT m.position, m.topic, m.key, coalesce(m.value, 'null'::jsonb), m.headers
  FROM jsonb_to_recordset($1::jsonb)
         AS m(ord int, position bigint, topic text, key text, value jsonb, headers jsonb)
  ORDER BY m.ord`;

/** Inserts outbox rows in the caller's transaction, in the order given. */
export async function insertOutboxMessages(tx: SqlExecutor, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  const rows = messages.map((m, ord) => ({
    ord,
    position: m.position ?? null,
    topic: m.topic,
    key: m.key,
    value: m.value ?? null,
    headers: m.headers ?? {},
  }));
  await tx.query(INSERT_OUTBOX, [JSON.stringify(rows)]);
}
