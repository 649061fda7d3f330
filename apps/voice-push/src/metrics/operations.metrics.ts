import { Injectable, Logger, Optional } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { Counter, Gauge, Registry } from 'prom-client';
import type { DataSource } from 'typeorm';
import { OutboxRelayService } from '../outbox-relay/outbox-relay.service.js';
import { RELAY_BACKLOG_SQL, type RelayBacklog } from '../outbox-relay/call-event-log.js';
import { REJECTED_PUSH_TOTALS_SQL, type RejectedPushTotals } from '../ingestion/rejected-push.store.js';
import { readCallCounts, sessionTotals, type SessionTotals } from '../call-sessions/projections/call-counts.js';

const PUSH_KINDS = ['status', 'cdr'];

/**
 * Gauges read from Postgres when Prometheus scrapes (prom-client `collect()`), not kept in memory:
 * they stay right across restarts and across several instances on one database.
 *
 * - processing lag: age in seconds of the oldest event not yet on Kafka (0 when none waits);
 * - relay lag: number of events not yet on Kafka (call events after the relay's checkpoint, and
 *   outbox rows: the finalised views);
 * - sessions by status, by reconciliation status, and overdue;
 * - rejected pushes: sum of `count` of the rejected-push store, with the rows its retention
 *   deleted, by kind.
 *
 * Cost: a few small rows whatever the tables hold. The session counts and the backlog come from
 * counts kept as rows are written (call-counts.ts, call-event-log.ts), so they stay readable when
 * `calls` holds millions of rows or a Kafka outage lets the backlog grow.
 * A failing or slow query (Postgres away) is logged and counted
 * (voice_push_metrics_query_failures_total); its labelled gauges are left out of that scrape and
 * its unlabelled ones read NaN (unknown, not 0). The rest of /metrics is still served.
 */
@Injectable()
export class OperationsMetrics {
  private readonly logger = new Logger('Metrics');
  /** one query per table per scrape, shared by the gauges that read it */
  private readonly running = new Map<string, Promise<unknown>>();
  private readonly queryFailures: Counter<'query'>;

  constructor(
    registry: Registry,
    @InjectDataSource() private readonly db: DataSource,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {
    this.queryFailures = new Counter({
      name: 'voice_push_metrics_query_failures_total',
      help: 'Scrape-time queries of the database gauges that failed or timed out (their gauges were left out)',
      labelNames: ['query'],
      registers: [registry],
    });

    const processingLag: Gauge<string> = new Gauge({
      name: 'voice_push_processing_lag_seconds',
      help: 'Age in seconds of the oldest event not yet relayed to Kafka; 0 when none waits',
      registers: [registry],
      collect: async () => {
        const rows = await this.relayBacklog();
        if (rows) processingLag.set(Math.max(0, Number(rows[0]?.age ?? 0)));
        else processingLag.set(Number.NaN);
      },
    });

    const relayLag: Gauge<string> = new Gauge({
      name: 'voice_push_relay_lag_events',
      help: 'Events not yet relayed to Kafka (call events after the relay checkpoint, and outbox rows)',
      registers: [registry],
      collect: async () => {
        const rows = await this.relayBacklog();
        if (rows) relayLag.set(Number(rows[0]?.events ?? 0));
        else relayLag.set(Number.NaN);
      },
    });

    const sessions: Gauge<string> = new Gauge({
      name: 'voice_push_sessions',
      help: 'Call sessions by status (computed at scrape time)',
      labelNames: ['status'],
      registers: [registry],
      collect: async () => {
        sessions.reset();
        const totals = await this.sessionTotals();
        if (!totals) return;
        for (const [status, n] of Object.entries(totals.byStatus)) sessions.set({ status }, n);
      },
    });

    const byReconciliation: Gauge<string> = new Gauge({
      name: 'voice_push_sessions_by_reconciliation',
      help: 'Call sessions by reconciliation status (computed at scrape time)',
      labelNames: ['reconciliation_status'],
      registers: [registry],
      collect: async () => {
        byReconciliation.reset();
        const totals = await this.sessionTotals();
        if (!totals) return;
        for (const [status, n] of Object.entries(totals.byReconciliation)) byReconciliation.set({ reconciliation_status: status }, n);
      },
    });

    const overdue: Gauge<string> = new Gauge({
      name: 'voice_push_sessions_overdue',
      help: 'Open call sessions flagged CDR_OVERDUE',
      registers: [registry],
      collect: async () => {
        const totals = await this.sessionTotals();
        overdue.set(totals ? totals.overdue : Number.NaN);
      },
    });

    const rejected: Gauge<string> = new Gauge({
      name: 'voice_push_rejected_pushes',
      help: 'Rejected pushes received (400/413/415), counting repeats, from the rejected-push store (rows deleted by its retention included), by kind',
      labelNames: ['kind'],
      registers: [registry],
      collect: async () => {
        rejected.reset();
        const rows = await this.query(
          'rejected pushes',
          () => this.db.query(REJECTED_PUSH_TOTALS_SQL) as Promise<RejectedPushTotals[]>,
        );
        if (!rows) return;
        const totals = new Map(PUSH_KINDS.map((k) => [k, 0]));
        for (const r of rows) totals.set(r.kind, Number(r.n));
        for (const [kind, n] of totals) rejected.set({ kind }, n);
      },
    });

    if (relay) {
      const relayFailing: Gauge<string> = new Gauge({
        name: 'voice_push_relay_failing',
        help: '1 while the outbox relay cannot publish to Kafka',
        registers: [registry],
        collect: () => {
          relayFailing.set(this.relay?.stats().failing ? 1 : 0);
        },
      });
      const relayPublished: Gauge<string> = new Gauge({
        name: 'voice_push_relay_published_events',
        help: 'Events this instance has published to Kafka since it started',
        registers: [registry],
        collect: () => {
          relayPublished.set(this.relay?.stats().published ?? 0);
        },
      });
    }
  }

  /** The session counts, read and summed once for the gauges of one scrape. */
  private sessionTotals(): Promise<SessionTotals | null> {
    return this.oncePerScrape('sessions', async () => sessionTotals(await readCallCounts(this.db)));
  }

  private relayBacklog(): Promise<RelayBacklog[] | null> {
    return this.oncePerScrape('relay backlog', () => this.db.query(RELAY_BACKLOG_SQL) as Promise<RelayBacklog[]>);
  }

  /** One query shared by the gauges of a scrape that read it (they collect concurrently). */
  private oncePerScrape<T>(what: string, read: () => Promise<T>): Promise<T | null> {
    let running = this.running.get(what) as Promise<T | null> | undefined;
    if (!running) {
      const started = this.query<T>(what, read);
      this.running.set(what, started);
      void started.finally(() => {
        if (this.running.get(what) === started) this.running.delete(what);
      });
      running = started;
    }
    return running;
  }

  /**
   * Postgres gives a slow query up itself after the pool's statement timeout (a lock, a table grown
   * large): the gauges that read it are left out of this scrape, and the connection is free again.
   */
  private async query<T>(what: string, read: () => Promise<T>): Promise<T | null> {
    try {
      return await read();
    } catch (error) {
      this.queryFailures.inc({ query: what });
      this.logger.warn(`metrics: ${what} left out of this scrape: ${(error as Error).message}`);
      return null;
    }
  }
}
