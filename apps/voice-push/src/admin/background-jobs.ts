import { ConflictException, NotFoundException, ServiceUnavailableException, type Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { JOB_ABANDONED_AFTER_MS, JOB_HEARTBEAT_MS, type PostgresJobRecords } from './postgres-job-records.js';

export const JOB_STATUSES = ['running', 'succeeded', 'failed', 'cancelled'] as const;

/** What every background admin job shows, besides its own progress. */
export interface JobState {
  id: string;
  status: (typeof JOB_STATUSES)[number];
  startedAt: string;
  finishedAt: string | null;
  error: string | null;
}

/** Told the job as it ended (a copy). */
export type JobDone<J extends JobState> = (job: J) => Promise<void> | void;

/**
 * The admin's long actions (the read-model rebuild, the outbox republish) run here and not inside
 * their HTTP request: a request that runs for minutes outlasts the client's and the proxy's
 * timeouts, and holds the server's close at shutdown.
 *
 * Every instance sees every job (PostgresJobRecords, the `admin_jobs` table): one job of a kind at
 * a time across them (a second start, on any instance, is 409 naming the running one); `GET
 * …/{jobId}` and a cancel work on whichever instance they reach. The running instance writes its
 * job every JOB_HEARTBEAT_MS; it answers its running job from memory, as it is, and every other
 * from the table, as every instance does.
 *
 * A shutdown lets the job in hand finish the unit of work it is in (a batch, one transaction) and
 * then stops it: it ends `failed` with an error saying so, and what it did stands. An operator's
 * cancel stops it the same way, and it ends `cancelled` (a republish waiting for a Kafka that is
 * away would otherwise wait, and hold the next one at 409, until the service stopped). A job
 * whose instance died is ended as failed by the next instance that looks (JOB_ABANDONED_AFTER_MS).
 */
export class BackgroundJobs<J extends JobState> {
  /** the job running here (until its end is written) */
  private current: J | null = null;
  /** the last job of this instance whose end could not be written: its row still says running */
  private unwrittenEnd: J | null = null;
  /** each job until it and its onDone are done, and each start until it knows (the shutdown waits for them all) */
  private readonly unsettled = new Set<Promise<unknown>>();
  private stopping = false;
  /** the running job an operator asked to stop, or that another instance took as abandoned */
  private stoppingJob: { id: string; why: () => Error } | null = null;
  private readonly instance = `${hostname()} pid ${process.pid}`;

  constructor(
    /** the job's kind, for messages ("rebuild", "republish") */
    private readonly kind: string,
    private readonly logger: Logger,
    private readonly records: PostgresJobRecords<J>,
    private readonly heartbeatMs = JOB_HEARTBEAT_MS,
    /** how long a job's final state is tried again while the database refuses it */
    private readonly finalSaveForMs = JOB_ABANDONED_AFTER_MS / 3,
  ) {}

  /**
   * Starts `work` on a new job holding `progress`; `work` updates the job as it goes and calls
   * `stopIfStopping()` between its units of work. Answers the job as it started.
   */
  async start(progress: Omit<J, keyof JobState>, work: (job: J) => Promise<void>, onDone: JobDone<J> = () => undefined): Promise<J> {
    // a shutdown waits for a start in hand: its claim may yet add a job (which it then waits for too)
    const starting = this.startNow(progress, work, onDone);
    this.unsettled.add(starting);
    try {
      return await starting;
    } finally {
      this.unsettled.delete(starting);
    }
  }

  /** `start`, less the shutdown's wait for it. */
  private async startNow(progress: Omit<J, keyof JobState>, work: (job: J) => Promise<void>, onDone: JobDone<J>): Promise<J> {
    this.refuseWhileStopping();
    const current = this.running();
    if (current) throw this.conflict(current.id, `${this.kind} ${current.id} is still running`);
    const job = { ...progress, id: randomUUID(), status: 'running', startedAt: new Date().toISOString(), finishedAt: null, error: null } as J;
    // known here only once claimed: a start beside it on this instance meets it in the table, so
    // its 409 names the job that runs (not this one, should its claim lose to another instance)
    const holder = await this.claim(job);
    if (holder !== null) {
      const where = this.current?.id === holder ? '' : ' on another instance';
      throw this.conflict(holder, `${this.kind} ${holder} is still running${where}`);
    }
    if (this.stopping) {
      // the shutdown began while the claim was written: the row ends at once, and no job runs
      await this.saveFinal({ ...job, status: 'failed', finishedAt: new Date().toISOString(), error: new StoppedByShutdown().message });
      throw this.shuttingDown();
    }
    this.current = job;
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

  /**
   * Records `job` as the running one: null, or the id of the job running elsewhere. A job of this
   * instance's that ended while its final state could not be written holds the row: written now,
   * it makes way.
   */
  private async claim(job: J): Promise<string | null> {
    const holder = await this.records.claim({ ...job }, this.instance);
    const unwritten = this.unwrittenEnd;
    if (holder === null || unwritten?.id !== holder || !(await this.save(unwritten))) return holder;
    this.unwrittenEnd = null;
    return this.records.claim({ ...job }, this.instance);
  }

  /** The job this instance is running, if any. */
  running(): J | null {
    return this.current ? { ...this.current } : null;
  }

  /** The job, for `GET …/{jobId}`, from whichever instance ran it: 404 when it is unknown. */
  async found(id: string): Promise<J> {
    const job = this.current?.id === id ? this.current : await this.records.get(id);
    if (!job) throw new NotFoundException({ error: 'NOT_FOUND', message: `no ${this.kind} job ${id}` });
    return { ...job };
  }

  /** The last job started, on any instance (one running here is the last: one runs at a time). */
  async latest(): Promise<J | null> {
    return this.running() ?? (await this.records.latest());
  }

  /** Throws once the service is stopping or the job was cancelled: a job calls it between two units of work. */
  stopIfStopping(): void {
    if (this.stopping) throw new StoppedByShutdown();
    if (this.current && this.current.id === this.stoppingJob?.id) throw this.stoppingJob.why();
  }

  /**
   * An operator's cancel: the job stops after the unit of work in hand (404 unknown, 409 ended).
   * A job running on another instance is marked, and stops there within a heartbeat.
   */
  async cancel(id: string): Promise<J> {
    if (this.current?.id === id) {
      this.stoppingJob = { id, why: () => new CancelledByOperator() };
      return { ...this.current };
    }
    const asked = await this.records.requestCancel(id);
    if (asked === null) throw new NotFoundException({ error: 'NOT_FOUND', message: `no ${this.kind} job ${id}` });
    if (asked.status !== 'running') throw this.conflict(id, `${this.kind} ${id} has ended (${asked.status})`);
    return asked;
  }

  /** The shutdown's first step: no new job (503), while every kind's running job is still stopping. */
  refuseNewJobs(): void {
    this.stopping = true;
  }

  /** The shutdown: no new job, and the running one stops after its unit of work in hand. */
  async stop(): Promise<void> {
    this.refuseNewJobs();
    // a start whose claim was in flight may add its job meanwhile: wait for that one too
    while (this.unsettled.size > 0) await Promise.allSettled([...this.unsettled]);
  }

  private async run(job: J, work: (job: J) => Promise<void>): Promise<void> {
    const heartbeat = new JobHeartbeat(async () => void (await this.save(job)), this.heartbeatMs);
    const ended: Partial<JobState> = {};
    try {
      await work(job);
      ended.status = 'succeeded';
    } catch (error) {
      ended.status = error instanceof CancelledByOperator ? 'cancelled' : 'failed';
      ended.error = (error as Error)?.message ?? String(error);
      const as = () => JSON.stringify({ ...job, ...ended });
      if (error instanceof CancelledByOperator) this.logger.warn(`${this.kind} ${job.id} cancelled by an operator; what it did stands: ${as()}`);
      else if (error instanceof StoppedByShutdown) this.logger.warn(`${this.kind} ${job.id} stopped by the shutdown; what it did stands: ${as()}`);
      else this.logger.error(`${this.kind} ${job.id} failed: ${(error as Error)?.stack ?? String(error)}`);
    } finally {
      ended.finishedAt = new Date().toISOString();
      await heartbeat.stop();
      // the row first, then this instance's copy: until then the job is running everywhere, and
      // a start anywhere is 409 naming it as such
      const written = await this.saveFinal({ ...job, ...ended });
      Object.assign(job, ended);
      this.current = null;
      if (!written) this.unwrittenEnd = { ...job };
    }
  }

  /**
   * Writes the job's final state, trying again while the database refuses: a job left `running`
   * in its row would hold every start at 409 and then be shown abandoned. Gives up (logging the
   * state) after about JOB_ABANDONED_AFTER_MS / 3, well before another instance would take it (a
   * shutdown waits for it meanwhile); the next start here writes it again (start).
   */
  private async saveFinal(job: J): Promise<boolean> {
    const until = Date.now() + this.finalSaveForMs;
    for (let wait = 100; ; wait = Math.min(wait * 2, 2_000)) {
      if (await this.save(job)) return true;
      if (Date.now() + wait > until) {
        this.logger.error(`${this.kind} ${job.id}: could not write how it ended; its row stays as last written until taken as abandoned; it ended so: ${JSON.stringify(job)}`);
        return false;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }

  /**
   * Writes the job for the other instances, and learns of a cancel asked on one of them. False
   * when the database refused (the job goes on: its own work meets the database, or not).
   */
  private async save(job: J): Promise<boolean> {
    try {
      const saved = await this.records.save({ ...job });
      if (saved === 'cancel-requested') {
        this.stoppingJob = { id: job.id, why: () => new CancelledByOperator() };
      } else if (saved === 'taken-as-abandoned') {
        this.stoppingJob = { id: job.id, why: () => new TakenAsAbandoned() };
        if (job.status !== 'running') this.logger.error(`${this.kind} ${job.id} ended after another instance took it as abandoned; it ended so: ${JSON.stringify(job)}`);
      }
      return true;
    } catch (error) {
      this.logger.warn(`${this.kind} ${job.id}: could not write it for the other instances: ${(error as Error)?.message ?? String(error)}; as it is now: ${JSON.stringify(job)}`);
      return false;
    }
  }

  private refuseWhileStopping(): void {
    if (this.stopping) throw this.shuttingDown();
  }

  private shuttingDown(): ServiceUnavailableException {
    return new ServiceUnavailableException({ error: 'UNAVAILABLE', message: `the service is shutting down: no ${this.kind} starts now` });
  }

  private conflict(jobId: string, message: string): ConflictException {
    return new ConflictException({ error: 'CONFLICT', message, jobId });
  }
}

/** Calls `beat` every `everyMs` while a job runs, one call at a time. */
class JobHeartbeat {
  private readonly timer: NodeJS.Timeout;
  private beating: Promise<void> | null = null;

  constructor(beat: () => Promise<void>, everyMs: number) {
    this.timer = setInterval(() => {
      this.beating ??= beat().finally(() => (this.beating = null));
    }, everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.beating;
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

export class TakenAsAbandoned extends Error {
  constructor() {
    super('stopped: another instance took it as abandoned (this one could not write it for longer than the limit)');
  }
}
