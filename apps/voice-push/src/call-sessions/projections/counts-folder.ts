import { Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { EVENT_TYPE_COUNTS, OUTBOX_COUNTS, dataSourceSqlExecutor, foldCounts } from '#event-store';
import { CALL_COUNTS } from './call-counts.js';

/** Often enough that a read sums a few thousand change rows at most under full load. */
const FOLD_EVERY_MS = 10_000;

/**
 * Folds the change rows of the kept counts (sessions, events by type, outbox rows) into their totals, so the
 * change tables stay small. Reads are exact without it (counter-tables.ts); a fold that fails is
 * logged and the next one takes its rows too.
 */
@Injectable()
export class CountsFolder implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CountsFolder');
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(@InjectDataSource() private readonly db: DataSource) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.fold()
        .catch((error: unknown) => this.logger.warn(`counts not folded, will try again: ${(error as Error).message}`))
        .finally(() => {
          this.running = undefined;
        });
    }, FOLD_EVERY_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async fold(): Promise<void> {
    const db = dataSourceSqlExecutor(this.db);
    await foldCounts(db, CALL_COUNTS);
    await foldCounts(db, EVENT_TYPE_COUNTS);
    await foldCounts(db, OUTBOX_COUNTS);
  }
}
