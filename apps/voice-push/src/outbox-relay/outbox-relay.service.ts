// Nest wrapper of OutboxRelay: starts the loop when the app has bootstrapped, drains and stops it
// on shutdown (main.ts turns SIGTERM into app.close(); ShutdownSequence drains it first, within
// SHUTDOWN_TIMEOUT).
//
// Providers it needs: the DataSource (TypeOrmModule), EventPublisher (e.g. a KafkajsEventPublisher
// factory), and optionally { provide: OUTBOX_RELAY_OPTIONS, useValue: { batchSize, … } }.
import { Inject, Injectable, Logger, Optional, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { EventPublisher } from '#messaging';
import { DataSource } from 'typeorm';
import { OutboxRelay, type OutboxRelayOptions, type OutboxRelayStats } from './outbox-relay.js';

/** DI token of Partial<OutboxRelayOptions>. */
export const OUTBOX_RELAY_OPTIONS = Symbol('OUTBOX_RELAY_OPTIONS');

@Injectable()
export class OutboxRelayService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('OutboxRelay');
  readonly relay: OutboxRelay;

  constructor(
    @InjectDataSource() dataSource: DataSource,
    private readonly publisher: EventPublisher,
    @Optional() @Inject(OUTBOX_RELAY_OPTIONS) options?: Partial<OutboxRelayOptions>,
  ) {
    this.relay = new OutboxRelay(dataSource, publisher, options ?? {}, this.logger);
  }

  onApplicationBootstrap(): void {
    this.relay.start();
  }

  /** Runs after the HTTP server has closed: flush what in-flight pushes wrote, then let go. */
  async onApplicationShutdown(): Promise<void> {
    await this.relay.stop();
    await this.publisher.disconnect();
  }

  /** Call after committing a transaction that wrote outbox rows: relays them without waiting. */
  poke(): void {
    this.relay.poke();
  }

  stats(): OutboxRelayStats {
    return this.relay.stats();
  }
}
