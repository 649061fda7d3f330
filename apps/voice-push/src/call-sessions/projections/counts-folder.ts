import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, foldCounts } from '#event-store';
import { REJECTED_PUSH_COUNTS } from '../../ingestion/rejected-push.store.js';
import { CALL_COUNTS } from './call-counts.js';
import { PeriodicTask } from '../periodic-task.js';

/** Often enough that a read sums a few thousand change rows at most under full load. */
const FOLD_EVERY_MS = 10_000;

/**
 * Folds the change rows of the kept counts (sessions, events by type, outbox rows, rejected pushes) into their
 * totals, so the change tables stay small. Reads are exact without it (counter-tables.ts); a fold
 * that fails is logged and the next one takes its rows too.
 */
@Injectable()
export class CountsFolder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CountsFolder');
  private readonly periodic = new PeriodicTask();

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onApplicationBootstrap(): void {
    this.periodic.start(FOLD_EVERY_MS, () =>
      this.fold().catch((error: unknown) => this.logger.warn(`counts not folded, will try again: ${(error as Error).message}`)),
    );
  }

  async onApplicationShutdown(): Promise<void> {
    await this.periodic.stop();
  }

  async fold(): Promise<void> {
    for (const counts of [CALL_COUNTS, EVENT_TYPE_COUNTS, OUTBOX_COUNTS, REJECTED_PUSH_COUNTS]) await foldCounts(this.db, counts);
  }
}
