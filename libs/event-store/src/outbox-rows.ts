import type { OutboxMessage, SqlExecutor } from './event-store.port.js';

/**
 * Outbox messages as the rows `jsonb_to_recordset` reads: the whole list travels as one jsonb
 * parameter. `ord` keeps the given order in the ids the relay sends by.
 */
export function outboxRows(messages: readonly OutboxMessage[]): Record<string, unknown>[] {
  return messages.map((m, ord) => ({
    ord,
    position: m.position ?? null,
    topic: m.topic,
    key: m.key,
    value: m.value ?? null,
    headers: m.headers ?? {},
  }));
}

/** The INSERT of outbox rows given as `outboxRows` in the jsonb parameter `param` (e.g. '$1'). */
export function insertOutboxSql(param: string): string {
  return `INSERT INTO outbox (position, topic, key, value, headers)
    SELECT m.position, m.topic, m.key, coalesce(m.value, 'null'::jsonb), m.headers
    FROM jsonb_to_recordset(${param}::jsonb)
      AS m(ord int, position bigint, topic text, key text, value jsonb, headers jsonb)
    ORDER BY m.ord`;
}
const INSERT_OUTBOX = insertOutboxSql('$1');

/** Inserts outbox rows in the caller's transaction, in the order given (the admin republish). */
export async function insertOutboxMessages(tx: SqlExecutor, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.query(INSERT_OUTBOX, [JSON.stringify(outboxRows(messages))]);
}
