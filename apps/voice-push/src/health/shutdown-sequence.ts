import { Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { CdrOverdueSweep } from '../call-sessions/cdr-overdue.sweep.js';
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
 *   3. relay what waits (the events after the checkpoint, the outbox) to Kafka (when configured).
 * The relay's own hook and TypeORM's then find nothing left to do but disconnect and close.
 */
@Injectable()
export class ShutdownSequence implements OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  constructor(
    private readonly sweep: CdrOverdueSweep,
    private readonly writer: CallSessionWriter,
    @Optional() private readonly relay?: OutboxRelayService,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    const started = Date.now();
    await this.sweep.onApplicationShutdown();
    await this.writer.drain();
    if (this.relay) await this.relay.relay.stop();
    this.logger.log(`in-flight work finished${this.relay ? ' and relay drained' : ''} in ${Date.now() - started} ms`);
  }
}
