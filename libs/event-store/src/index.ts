export * from './event-store.port.js';
export { PostgresEventStore, toStoredEvent, type EventRow } from './postgres-event-store.js';
export { insertOutboxMessages } from './outbox-rows.js';
export { QueryRunnerSqlExecutor, dataSourceSqlExecutor, sqlExecutor } from './sql-executor.js';
export { preparedQuery } from './prepared-query.js';
export { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, foldCounts, readCounts, totalCountSql, type CounterTables } from './counter-tables.js';
export {
  eventStoreMigrations,
  CreateEvents1764000000000,
  CreateOutbox1764000000001,
  CreateAppendConflict1764100000000,
  PositionBlocks1764100000001,
  CountEventTypes1764100000002,
  CountOutboxRows1764100000003,
} from './migrations/index.js';
