import { Logger, Module, type DynamicModule } from '@nestjs/common';
import { EventPublisher, KafkajsEventPublisher } from '#messaging';
import type { AppConfig } from '../config/app-config.js';
import { OUTBOX_RELAY_OPTIONS, OutboxRelayService } from './outbox-relay.service.js';

/**
 * With KAFKA_BROKERS set, the relay carries the call events (from the event log) and the outbox
 * (the finalised views) to Kafka; without, the module is empty and both wait in Postgres
 * (contract §6), to be relayed once a broker is configured.
 */
@Module({})
export class OutboxRelayModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (config.kafkaBrokers.length === 0) return { module: OutboxRelayModule };
    const logger = new Logger('Kafka');
    return {
      module: OutboxRelayModule,
      global: true,
      providers: [
        {
          provide: EventPublisher,
          useFactory: () =>
            new KafkajsEventPublisher({
              brokers: config.kafkaBrokers,
              clientId: 'voice-push',
              compression: config.kafkaCompression,
              log: (level, message, extra) => {
                const text = extra ? `${message} ${JSON.stringify(extra)}` : message;
                if (level === 'error') logger.error(text);
                else if (level === 'warn') logger.warn(text);
                else logger.debug(text);
              },
            }),
        },
        { provide: OUTBOX_RELAY_OPTIONS, useValue: { partitions: config.kafkaTopicPartitions, callEventLog: true } },
        OutboxRelayService,
      ],
      exports: [EventPublisher, OutboxRelayService],
    };
  }
}
