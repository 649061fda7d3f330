import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule, getDataSourceToken } from '@nestjs/typeorm';
import pg from 'pg';
import { TypeOrmLog } from './typeorm-log.js';
import { DataSource } from 'typeorm';
import { EventStore, PostgresEventStore, eventStoreMigrations } from '#event-store';
import { DEFAULT_PUBLISH_DEADLINE_MS } from '#messaging';
import { CreateCallsReadModel1764000100000 } from './migrations/1764000100000-create-calls-read-model.js';
import { CreateRejectedPushes1764000200000 } from './migrations/1764000200000-create-rejected-pushes.js';
import { CreateAdminTables1764000300000 } from './migrations/1764000300000-create-admin-tables.js';
import { CallsHotUpdates1764000400000 } from './migrations/1764000400000-calls-hot-updates.js';
import { CreateRelayCheckpoints1764000500000 } from './migrations/1764000500000-create-relay-checkpoints.js';
import { CountCalls1764000600000 } from './migrations/1764000600000-count-calls.js';
import { CountRelayedEvents1764000700000 } from './migrations/1764000700000-count-relayed-events.js';
import { RejectedPushRetention1764000800000 } from './migrations/1764000800000-rejected-push-retention.js';
import { RejectedPushReasonHash1764000900000 } from './migrations/1764000900000-rejected-push-reason-hash.js';
import { CountRejectedPushes1764001000000 } from './migrations/1764001000000-count-rejected-pushes.js';
import { IndexOutboxCallEventRows1764001100000 } from './migrations/1764001100000-index-outbox-call-event-rows.js';
import { CreateRelayHolds1764001200000 } from './migrations/1764001200000-create-relay-holds.js';
import { RejectedPushBodyBase641764001300000 } from './migrations/1764001300000-rejected-push-body-base64.js';
import { CreatePushCounterFlushes1764001400000 } from './migrations/1764001400000-create-push-counter-flushes.js';
import { CreateAdminJobs1764001500000 } from './migrations/1764001500000-create-admin-jobs.js';
import { listenToCheckedOutClients } from './listen-to-checked-out-clients.js';
import { retireClientsWithQueryInFlight } from './retire-clients-with-query-in-flight.js';
import { runMigrations } from './run-migrations.js';

/** Postgres cancels a statement of the service's pool after this long (below the pool's 2 s read timeout). */
export const STATEMENT_TIMEOUT_MS = 1_500;

/**
 * Postgres ends a session of the service's pool that idles this long inside a transaction. The
 * longest idle gap the service leaves in one is the relay's Kafka publish, so the limit is that
 * publish's deadline (18 s) and a margin: 30 s. A session whose connection went silent for good (a
 * dropped NAT entry, a host gone, no reset) would otherwise keep its transaction open, and its
 * locks, until TCP notices: the relay's lock, so no relay of any instance would send to Kafka
 * meanwhile.
 */
export const IDLE_IN_TRANSACTION_TIMEOUT_MS = DEFAULT_PUBLISH_DEADLINE_MS + 12_000;

/**
 * The server's side of a connection that went silent for good: Postgres keeps such a session — a
 * connection slot, and any lock it holds — until TCP gives up on the client, which with Linux'
 * defaults is 2 h 11 min of silence (keep-alive after 7,200 s, then nine probes 75 s apart). After a
 * few network blips every instance's pool has reconnected while the old sessions still count
 * against `max_connections`, and new connections are refused. With these the server probes after
 * 30 s of silence and ends the session after three probes 10 s apart go unanswered, or after 60 s of
 * data it sent without an acknowledgement. Sent as the connection's startup `options`: an
 * `options` parameter in DATABASE_URL takes their place.
 */
export const SERVER_SIDE_KEEPALIVE = {
  tcp_keepalives_idle: 30,
  tcp_keepalives_interval: 10,
  tcp_keepalives_count: 3,
  tcp_user_timeout: 60_000,
} as const;

const startupOptions = (settings: Record<string, number>): string =>
  Object.entries(settings)
    .map(([name, value]) => `-c ${name}=${value}`)
    .join(' ');

export const appMigrations = [
  ...eventStoreMigrations,
  CreateCallsReadModel1764000100000,
  CreateRejectedPushes1764000200000,
  CreateAdminTables1764000300000,
  CallsHotUpdates1764000400000,
  CreateRelayCheckpoints1764000500000,
  CountCalls1764000600000,
  CountRelayedEvents1764000700000,
  RejectedPushRetention1764000800000,
  RejectedPushReasonHash1764000900000,
  CountRejectedPushes1764001000000,
  IndexOutboxCallEventRows1764001100000,
  CreateRelayHolds1764001200000,
  RejectedPushBodyBase641764001300000,
  CreatePushCounterFlushes1764001400000,
  CreateAdminJobs1764001500000,
];

/**
 * The migrations a database had before the app's migration `name`: the event store's and the
 * app's earlier ones (its later ones may build on `name`). For upgrade tests.
 */
export function appMigrationsBefore(name: string): typeof appMigrations {
  const at = appMigrations.findIndex((m) => m.name === name);
  if (at < eventStoreMigrations.length) throw new Error(`${name} is not one of the app's migrations`);
  return [...eventStoreMigrations, ...appMigrations.slice(eventStoreMigrations.length, at)];
}

/** Postgres through TypeORM: schema by migrations at start-up, never `synchronize`. */
@Module({})
export class DatabaseModule {
  static forRoot(databaseUrl: string): DynamicModule {
    return {
      module: DatabaseModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({
            type: 'postgres' as const,
            // Passed explicitly: TypeORM's own require('pg') fails under jest's ESM loader.
            driver: pg,
            url: databaseUrl,
            synchronize: false,
            // run before the pool opens, on a connection without the pool's timeouts (run-migrations.ts)
            migrationsRun: false,
            logging: ['error' as const, 'warn' as const, 'migration' as const],
            logger: new TypeOrmLog(),
            // Fail fast while Postgres is away, so the sender gets its 503 quickly and retries.
            extra: {
              max: 20,
              connectionTimeoutMillis: 2_000,
              // A connection Postgres stopped answering on (a partition) must not hold a push past
              // the sender's 3 s: the client gives up after 2 s and the push is answered 503.
              query_timeout: 2_000,
              // Postgres gives a slow statement up first, so the client's timeout above means only
              // "no answer": a statement abandoned by the client alone would run on, and whoever
              // got its pooled connection next would wait behind it.
              statement_timeout: STATEMENT_TIMEOUT_MS,
              idle_in_transaction_session_timeout: IDLE_IN_TRANSACTION_TIMEOUT_MS,
              keepAlive: true,
              options: startupOptions(SERVER_SIDE_KEEPALIVE),
              application_name: 'voice-push',
            },
            retryAttempts: 3,
            retryDelay: 1_000,
          }),
          // inside TypeORM's retries: Postgres may still be starting
          dataSourceFactory: async (options) => {
            const ran = await runMigrations(databaseUrl, appMigrations);
            if (ran.length > 0) new Logger('Database').log(`migrations run: ${ran.join(', ')}`);
            const dataSource = await new DataSource(options!).initialize();
            const pool = (dataSource.driver as unknown as { master: pg.Pool }).master;
            retireClientsWithQueryInFlight(pool);
            const log = new Logger('Database');
            listenToCheckedOutClients(pool, (line) => log.warn(line));
            return dataSource;
          },
        }),
      ],
      providers: [
        {
          provide: EventStore,
          useFactory: (db: DataSource) => new PostgresEventStore(db),
          inject: [getDataSourceToken()],
        },
      ],
      exports: [EventStore],
    };
  }
}
