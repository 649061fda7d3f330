import { Inject, Injectable, Logger, Optional, type BeforeApplicationShutdown, type OnApplicationShutdown } from '@nestjs/common';
import { CdrOverdueSweep } from '../call-sessions/cdr-overdue.sweep.js';
import { APP_CONFIG } from '../config/app-config.provider.js';
import type { AppConfig } from '../config/app-config.js';
import { CallSessionWriter } from '../call-sessions/write/call-session.writer.js';
import { OutboxRelayService } from '../outbox-relay/outbox-relay.service.js';

/**
 * The part of the graceful shutdown (contract §6: stop accepting, finish what is in flight, flush
 * the relay, close the database) that Nest's hook order does not give by itself.
 *
 * `app.close()` runs: destroy hooks → beforeApplicationShutdown → HTTP server close (new requests
 * get 503, in-flight ones finish) → onApplicationShutdown, module by module in increasing
 * distance from the root, global modules last. TypeOrmCoreModule (closes the DataSource) and
 * OutboxRelayModule are both global, and TypeORM comes first: left alone, the relay would drain
 * against a closed pool. This provider sits in a non-global module, so its hook runs after the
 * HTTP server has closed and before any global module's:
 *   1. stop the overdue sweep (no new writes of our own);
 *   2. wait for the call-session writes already accepted (a client that hung up mid-request is
 *      no longer awaited by the HTTP server, its write still is here);
 *   3. relay what waits (the events after the checkpoint, the outbox) to Kafka (when configured),
 *      within what SHUTDOWN_TIMEOUT leaves of the shutdown (less a margin to close the rest): past
 *      it the process would be ended by its own deadline with the pool still open.
 * The relay's own hook and TypeORM's then find nothing left to do but disconnect and close.
 */
@Injectable()
export class ShutdownSequence implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');
  private shutdownBegan = Date.now();

  constructor(
    private readonly sweep: CdrOverdueSweep,
    private readonly writer: CallSessionWriter,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'shutdownTimeoutMs'>,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  beforeApplicationShutdown(): void {
    this.shutdownBegan = Date.now(); // before the HTTP server closes: its wait counts against the budget
  }

  async onApplicationShutdown(): Promise<void> {
    const started = Date.now();
    await this.sweep.onApplicationShutdown();
    await this.writer.drain();
    const left = this.relay ? await this.relay.relay.stop(relayDrainBudgetMs(this.config.shutdownTimeoutMs, Date.now() - this.shutdownBegan)) : 0;
    // said as it came out: a relay stopped at its deadline is not "drained"
    const relay = !this.relay ? '' : left === 0 ? ' and relay drained' : left > 0 ? `; relay stopped with ${left} messages left in Postgres` : '; relay stopped (what is left unknown)';
    this.logger.log(`in-flight work finished${relay} in ${Date.now() - started} ms`);
  }
}

/** What the relay's drain may take: what SHUTDOWN_TIMEOUT leaves after `spentMs`, less 2 s to close the rest (the producer, the pool). */
function relayDrainBudgetMs(shutdownTimeoutMs: number, spentMs: number): number {
  return Math.max(0, shutdownTimeoutMs - spentMs - 2_000);
}
