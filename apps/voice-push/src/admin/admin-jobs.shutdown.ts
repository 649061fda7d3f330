import { Injectable, type BeforeApplicationShutdown } from '@nestjs/common';
import { OutboxRepublisher } from './outbox/outbox-republisher.service.js';
import { CallsRebuildService } from './projections/calls-rebuild.service.js';

/**
 * The shutdown of the admin's background jobs, of every kind at once: each refuses new jobs
 * before any waits for its running one to stop. Nest runs one provider's hook after another's,
 * and a hook per kind let a republish start (202, and a batch of work) while the rebuild's hook
 * was still waiting for its batch.
 */
@Injectable()
export class AdminJobsShutdown implements BeforeApplicationShutdown {
  constructor(
    private readonly rebuilds: CallsRebuildService,
    private readonly republisher: OutboxRepublisher,
  ) {}

  async beforeApplicationShutdown(): Promise<void> {
    const kinds = [this.rebuilds.jobs, this.republisher.jobs];
    for (const jobs of kinds) jobs.refuseNewJobs();
    await Promise.all(kinds.map((jobs) => jobs.stop()));
  }
}
