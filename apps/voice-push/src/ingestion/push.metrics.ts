import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import type { PushKind } from './push-body.reader.js';

/** Pushes by kind and outcome, and how long the sender waited for its answer. */
@Injectable()
export class PushMetrics {
  private readonly pushes: Counter<'kind' | 'outcome'>;
  private readonly ackSeconds: Histogram<'kind'>;
  readonly counts = new Map<string, number>();

  constructor(registry: Registry) {
    this.pushes = new Counter({
      name: 'voice_push_pushes_total',
      help: 'Pushes received, by kind and outcome (accepted, duplicate, conflicting_duplicate, rejected, unavailable)',
      labelNames: ['kind', 'outcome'],
      registers: [registry],
    });
    this.ackSeconds = new Histogram({
      name: 'voice_push_ack_seconds',
      help: 'Time from receiving a push to answering it',
      labelNames: ['kind'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
      registers: [registry],
    });
  }

  observe(kind: PushKind, answer: { statusCode: number; body: Record<string, unknown>; conflicting?: boolean }, seconds: number): void {
    // a conflicting duplicate (same key, other content: the first stays) is counted apart (contract §1)
    const outcome =
      answer.statusCode === 200
        ? answer.body.duplicate
          ? answer.conflicting
            ? 'conflicting_duplicate'
            : 'duplicate'
          : 'accepted'
        : answer.statusCode === 503
          ? 'unavailable'
          : 'rejected';
    this.pushes.inc({ kind, outcome });
    this.counts.set(outcome, (this.counts.get(outcome) ?? 0) + 1);
    this.ackSeconds.observe({ kind }, seconds);
  }
}
