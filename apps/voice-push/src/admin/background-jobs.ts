import { ConflictException, NotFoundException, ServiceUnavailableException, type Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';

/** What every background admin job shows, besides its own progress. */
export interface JobState {
  id: string;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/** Told the job as it ended (a copy). */
export type JobDone<J extends JobState> = (job: J) => Promise<void> | void;

const JOBS_KEPT = 20;

/**
 * The admin's long actions (the read-model rebuild, the outbox republish) run here and not inside
 * their HTTP request: a request that runs for minutes outlasts the client's and the proxy's
 * timeouts, and holds the server's close at shutdown. One job of a kind at a time per instance (a
 * second start is 409 naming the running one); the last JOBS_KEPT are kept for `GET …/{jobId}`.
 *
 * A shutdown lets the job in hand finish the unit of work it is in (a batch, one transaction) and
 * then stops it: it ends `failed` with an error saying so, and what it did stands. An operator's
 * cancel stops it the same way, and it ends `cancelled` (a republish waiting for a Kafka that is
 * away would otherwise wait, and hold the next one at 409, until the service stopped).
 */
export class BackgroundJobs<J extends JobState> {
  private readonly jobs = new Map<string, J>();
  /** each job until it and its onDone are done (the shutdown waits for them all) */
  private readonly unsettled = new Set<Promise<void>>();
  private stopping = false;
  /** the running job an operator asked to stop */
  private cancelling: string | null = null;

  constructor(
    /** the job's kind, for messages ("rebuild", "republish") */
    private readonly kind: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Starts `work` on a new job holding `progress`; `work` updates the job as it goes and calls
   * `stopIfStopping()` between its units of work. Answers the job as it started.
   */
  start(progress: Omit<J, keyof JobState>, work: (job: J) => Promise<void>, onDone: JobDone<J> = () => undefined): J {
    if (this.stopping) {
      throw new ServiceUnavailableException({ error: 'UNAVAILABLE', message: `the service is shutting down: no ${this.kind} starts now` });
    }
    const current = [...this.jobs.values()].find((j) => j.status === 'running');
    if (current) {
      throw new ConflictException({ error: 'CONFLICT', message: `${this.kind} ${current.id} is still running`, jobId: current.id });
    }
    const job = { ...progress, id: randomUUID(), status: 'running', startedAt: new Date().toISOString(), finishedAt: null, error: null } as J;
    this.jobs.set(job.id, job);
    for (const id of [...this.jobs.keys()].slice(0, Math.max(0, this.jobs.size - JOBS_KEPT))) this.jobs.delete(id);
    // unsettled until its onDone (the audit row's completion) is done too: a shutdown waits for
    // both, and for an earlier job's onDone still running beside a new job
    const settled: Promise<void> = this.run(job, work)
      .then(async () => {
        try {
          await onDone({ ...job });
        } catch (error) {
          this.logger.error(`${this.kind} ${job.id}: after it ended: ${(error as Error)?.stack ?? String(error)}`);
        }
      })
      .finally(() => this.unsettled.delete(settled));
    this.unsettled.add(settled);
    return { ...job };
  }

  get(id: string): J | null {
    const job = this.jobs.get(id);
    return job ? { ...job } : null;
  }

  /** The job, for `GET …/{jobId}`: 404 when it is unknown (or no longer kept). */
  found(id: string): J {
    const job = this.get(id);
    if (!job) throw new NotFoundException({ error: 'NOT_FOUND', message: `no ${this.kind} job ${id}` });
    return job;
  }

  latest(): J | null {
    const job = [...this.jobs.values()].at(-1);
    return job ? { ...job } : null;
  }

  /** Throws once the service is stopping or the job was cancelled: a job calls it between two units of work. */
  stopIfStopping(): void {
    if (this.stopping) throw new StoppedByShutdown();
    const running = [...this.jobs.values()].find((j) => j.status === 'running');
    if (running && running.id === this.cancelling) throw new CancelledByOperator();
  }

  /** An operator's cancel: the job stops after the unit of work in hand (404 unknown, 409 ended). */
  cancel(id: string): J {
    const job = this.found(id);
    if (job.status !== 'running') {
      throw new ConflictException({ error: 'CONFLICT', message: `${this.kind} ${id} has ended (${job.status})`, jobId: id });
    }
    this.cancelling = id;
    return job;
  }

  /** The shutdown: no new job, and the running one stops after its unit of work in hand. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.unsettled);
  }

  private async run(job: J, work: (job: J) => Promise<void>): Promise<void> {
    try {
      await work(job);
      job.status = 'succeeded';
    } catch (error) {
      job.status = error instanceof CancelledByOperator ? 'cancelled' : 'failed';
      job.error = (error as Error)?.message ?? String(error);
      if (error instanceof CancelledByOperator) this.logger.warn(`${this.kind} ${job.id} cancelled by an operator; what it did stands: ${JSON.stringify(job)}`);
      else if (error instanceof StoppedByShutdown) this.logger.warn(`${this.kind} ${job.id} stopped by the shutdown; what it did stands: ${JSON.stringify(job)}`);
      else this.logger.error(`${this.kind} ${job.id} failed: ${(error as Error)?.stack ?? String(error)}`);
    } finally {
      job.finishedAt = new Date().toISOString();
    }
  }
}

export class StoppedByShutdown extends Error {
  constructor() {
    super('stopped: the service is shutting down');
  }
}

export class CancelledByOperator extends Error {
  constructor() {
    super('cancelled by an operator');
  }
}
