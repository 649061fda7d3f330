import { Controller, Get, Optional } from '@nestjs/common';
import { ApiOkResponse, ApiOperation } from '@nestjs/swagger';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EVENT_TYPE_COUNTS, readCounts } from '#event-store';
import { readCallCounts, sessionTotals } from '../../call-sessions/projections/call-counts.js';
import { REJECTED_PUSH_TOTALS_SQL, type RejectedPushTotals } from '../../ingestion/rejected-push.store.js';
import { RELAY_BACKLOG_SQL, callEventLogHolds, type RelayBacklog } from '../../outbox-relay/call-event-log.js';
import { OutboxRelayService } from '../../outbox-relay/outbox-relay.service.js';
import { AdminEndpoints } from '../admin-endpoints.decorator.js';
import { CallsRebuildService } from '../projections/calls-rebuild.service.js';
import { OutboxRepublisher } from '../outbox/outbox-republisher.service.js';
import { PushCounters } from './push-counters.js';

/**
 * Counters for an operator, each read from a small table whatever the volume: pushes accepted are
 * the push events in the event store, sessions and reconciliation the `calls` rows, both counted
 * as they are written (counter-tables.ts); rejected pushes from their store, whose rows retention
 * bounds (rejected-push.retention.ts), and what the deleted rows counted.
 */
@Controller('admin/stats')
@AdminEndpoints()
export class AdminStatsHttpController {
  constructor(
    @InjectDataSource() private readonly db: DataSource,
    private readonly counters: PushCounters,
    private readonly rebuilds: CallsRebuildService,
    private readonly republishes: OutboxRepublisher,
    /** present only when KAFKA_BROKERS is set */
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  @Get()
  @ApiOperation({ summary: 'Pushes, sessions, reconciliation and outbox counts (contract §4)' })
  @ApiOkResponse({ description: 'the counts (contract §4), and the jobs running', schema: { type: 'object', additionalProperties: true } })
  async stats(): Promise<Record<string, unknown>> {
    const [accepted, rejected, calls, outbox, persisted, holds] = await Promise.all([
      readCounts<{ type: string }>(this.db, EVENT_TYPE_COUNTS),
      this.db.query(REJECTED_PUSH_TOTALS_SQL) as Promise<RejectedPushTotals[]>,
      readCallCounts(this.db),
      this.db.query(RELAY_BACKLOG_SQL) as Promise<RelayBacklog[]>,
      this.counters.read(),
      callEventLogHolds(this.db),
    ]);

    const byType = Object.fromEntries(accepted.map((r) => [r.type, Number(r.n)]));
    const rejectedByKind = Object.fromEntries(rejected.map((r) => [r.kind, Number(r.n)]));
    const totals = sessionTotals(calls);
    const open = totals.byStatus.OPEN ?? 0;
    const sessions = {
      total: totals.total,
      open,
      finalized: totals.total - open,
      finalizedWithoutCdr: totals.byStatus.FINALIZED_WITHOUT_CDR ?? 0,
      overdue: totals.overdue,
    };

    return {
      pushes: {
        accepted: (byType.StatusRecorded ?? 0) + (byType.CdrRecorded ?? 0),
        acceptedByKind: { status: byType.StatusRecorded ?? 0, cdr: byType.CdrRecorded ?? 0 },
        duplicate: persisted.duplicate ?? 0,
        conflictingDuplicate: persisted.conflicting_duplicate ?? 0,
        rejected: rejected.reduce((sum, r) => sum + Number(r.n), 0),
        rejectedByKind: { status: rejectedByKind.status ?? 0, cdr: rejectedByKind.cdr ?? 0 },
        rejectedDistinctBodies: rejected.reduce((sum, r) => sum + Number(r.distinct_bodies), 0),
        rejectedReplayed: rejected.reduce((sum, r) => sum + Number(r.replayed), 0),
        // of `rejected`, the pushes whose rows REJECTED_PUSH_RETENTION deleted (counted, no longer listed)
        rejectedExpired: rejected.reduce((sum, r) => sum + Number(r.expired), 0),
        unavailable: persisted.unavailable ?? 0,
      },
      sessions,
      reconciliation: totals.byReconciliation,
      outbox: {
        lag: outbox[0]?.events ?? 0,
        // a republish (on any instance) holding the live call events in the log: the lag grows meanwhile
        liveCallEventsHeldBy: holds,
        relay: this.relay ? this.relay.stats() : null,
      },
      rebuild: await this.rebuilds.jobs.latest(),
      republish: await this.republishes.jobs.latest(),
    };
  }
}
