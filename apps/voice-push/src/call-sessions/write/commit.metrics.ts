import { Injectable } from '@nestjs/common';
import { Histogram, Registry } from 'prom-client';

/**
 * The group commit, as an operator sees it: how long a batch took from leaving for Postgres to its
 * answer being handled (the wait every push of the batch shares), and how many pushes it carried.
 */
@Injectable()
export class CommitMetrics {
  private readonly seconds: Histogram;
  private readonly pushes: Histogram;

  constructor(registry: Registry) {
    this.seconds = new Histogram({
      name: 'voice_push_commit_seconds',
      help: 'Time of one group commit (events, calls rows and outbox in one statement), from sending it to handling its answer',
      buckets: [0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5],
      registers: [registry],
    });
    this.pushes = new Histogram({
      name: 'voice_push_commit_pushes',
      help: 'Pushes written by one group commit',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers: [registry],
    });
  }

  observe(seconds: number, pushes: number): void {
    this.seconds.observe(seconds);
    this.pushes.observe(pushes);
  }
}
