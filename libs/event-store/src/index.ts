export * from './event-store.port.js';
export { PostgresEventStore, toStoredEvent, type EventRow } from './postgres-event-store.js';
export { insertOutboxMessages } from './outbox-rows.js';
export { QueryRunnerSqlExecutor, sqlExecutor } from './sql-executor.js';
export { preparedQuery, queryWithClientTimeout } from './prepared-query.js';
export { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, countRowsSql, foldCounts, readCounts, totalCountSql, type CounterTables } from './counter-tables.js';
export * from './migrations/index.js';
