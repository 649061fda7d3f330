import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { CommandBus } from '@nestjs/cqrs';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { FlagOverdueCalls } from './commands/flag-overdue-calls/flag-overdue-calls.command.js';
import { PeriodicTask } from './periodic-task.js';

/**
 * Runs the overdue check every half of CDR_OVERDUE_AFTER (at most every minute), so a call is
 * flagged no later than twice that after its last push (contract §2).
 */
@Injectable()
export class CdrOverdueSweep implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('CdrOverdueSweep');
  private readonly periodic = new PeriodicTask();
  private stopping = false;

  constructor(
    private readonly commands: CommandBus,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  get intervalMs(): number {
    return Math.max(100, Math.min(60_000, Math.floor(this.config.cdrOverdueAfterMs / 2)));
  }

  onApplicationBootstrap(): void {
    this.periodic.start(this.intervalMs, () => this.sweep());
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    await this.periodic.stop();
  }

  async sweep(now = Date.now()): Promise<number> {
    let total = 0;
    try {
      // Keep going while full pages come back: a backlog after an outage is cleared in one sweep.
      const command = new FlagOverdueCalls(now, this.config.cdrOverdueAfterMs);
      for (;;) {
        const { examined, flagged } = await this.commands.execute(command);
        total += flagged;
        // a shutdown waits for the sweep: a backlog of thousands of calls would hold it past its
        // timeout (and the relay's drain after it), so it stops between pages; the next start goes on
        if (examined < command.limit || flagged === 0 || this.stopping) break;
      }
    } catch (error) {
      this.logger.error(`overdue sweep failed, will try again: ${(error as Error).message}`);
    }
    return total;
  }
}
