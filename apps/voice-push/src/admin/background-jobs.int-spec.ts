import { ConflictException, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { afterEach, describe, expect, test } from '@jest/globals';
import { useTempDatabase } from '../../../../libs/event-store/src/testing/use-temp-database.js';
import { pollUntil } from '../../../../test/support/poll.js';
import { appMigrations } from '../database/database.module.js';
import { BackgroundJobs, type JobState } from './background-jobs.js';
import { AdminJobsShutdown } from './admin-jobs.shutdown.js';
import { PostgresJobRecords } from './postgres-job-records.js';
import type { OutboxRepublisher } from './outbox/outbox-republisher.service.js';
import type { CallsRebuildService } from './projections/calls-rebuild.service.js';

interface CountJob extends JobState {
  steps: number;
}

/** A unit of work the test lets go one at a time. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const quiet = new Logger('test');
quiet.log = quiet.warn = quiet.error = () => undefined;

async function startJob(jobs: BackgroundJobs<CountJob>, work: (job: CountJob) => Promise<void>): Promise<{ started: CountJob; done: Promise<CountJob> }> {
  let resolve!: (job: CountJob) => void;
  const done = new Promise<CountJob>((r) => (resolve = r));
  const started = await jobs.start({ steps: 0 }, work, resolve);
  return { started, done };
}

/** A real Postgres with the app's migrations: the jobs' rows are what other instances see. */
describe('BackgroundJobs', () => {
  const suite = useTempDatabase(appMigrations);
  /** An instance's jobs of kind "count" (a heartbeat of 20 ms unless told). */
  const instance = (heartbeatMs = 20, logger = quiet) =>
    new BackgroundJobs<CountJob>('count', logger, new PostgresJobRecords<CountJob>(suite.ds(), 'count'), heartbeatMs);
  afterEach(async () => {
    await suite.ds().query(`DELETE FROM admin_jobs`);
  });
  test('answers the job as it starts, runs it in the background, and tells its end with what it did', async () => {
    const jobs = instance();
    const step = gate();
    const { started, done } = await startJob(jobs, async (job) => {
      await step.opened;
      job.steps = 3;
    });

    expect(started).toMatchObject({ status: 'running', steps: 0, finishedAt: null, error: null });
    expect(await jobs.found(started.id)).toMatchObject({ status: 'running' });
    step.open();
    const ended = await done;

    expect(ended).toMatchObject({ id: started.id, status: 'succeeded', steps: 3, error: null, finishedAt: expect.any(String) });
    expect(await jobs.found(started.id)).toEqual(ended);
    expect(await jobs.latest()).toEqual(ended);
    // as another instance reads it
    expect(await instance().found(started.id)).toEqual(ended);
    // a copy: changing it changes nothing kept
    ended.steps = 99;
    expect((await jobs.found(started.id)).steps).toBe(3);
  });

  test('one job at a time: a second start while one runs is a 409 naming it; after it ends, another may start', async () => {
    const jobs = instance();
    const step = gate();
    const first = await startJob(jobs, () => step.opened);

    const refusal = await jobs.start({ steps: 0 }, async () => undefined).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ConflictException);
    expect((refusal as ConflictException).getResponse()).toMatchObject({ error: 'CONFLICT', jobId: first.started.id });

    step.open();
    await first.done;
    const second = await startJob(jobs, async () => undefined);
    expect((await second.done).status).toBe('succeeded');
  });

  test('a job that throws ends failed with the error; the next one starts', async () => {
    const jobs = instance();
    const { done } = await startJob(jobs, async (job) => {
      job.steps = 1;
      throw new Error('Postgres went away');
    });
    expect(await done).toMatchObject({ status: 'failed', error: 'Postgres went away', steps: 1, finishedAt: expect.any(String) });
    expect((await (await startJob(jobs, async () => undefined)).done).status).toBe('succeeded');
  });

  test('a shutdown lets the unit of work in hand finish, stops the job before the next, and starts no new one', async () => {
    const jobs = instance();
    const step = gate();
    const { done } = await startJob(jobs, async (job) => {
      for (;;) {
        jobs.stopIfStopping();
        await step.opened;
        job.steps += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    const stopped = jobs.stop();
    step.open();
    await stopped; // waits for the job to end

    const ended = await done;
    expect(ended).toMatchObject({ status: 'failed', steps: 1, error: expect.stringMatching(/shutting down/) });
    await expect(jobs.start({ steps: 0 }, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableException);
  });

  test("an operator's cancel stops the job after the unit of work in hand: it ends cancelled, and the next may start", async () => {
    const jobs = instance();
    const step = gate();
    const { started, done } = await startJob(jobs, async (job) => {
      for (;;) {
        jobs.stopIfStopping();
        await step.opened;
        job.steps += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    expect(await jobs.cancel(started.id)).toMatchObject({ id: started.id, status: 'running' });
    step.open();
    expect(await done).toMatchObject({ status: 'cancelled', steps: 1, error: 'cancelled by an operator', finishedAt: expect.any(String) });

    await expect(jobs.cancel(started.id)).rejects.toBeInstanceOf(ConflictException); // it has ended
    await expect(jobs.cancel('no-such-job')).rejects.toBeInstanceOf(NotFoundException);
    const next = await startJob(jobs, async (job) => {
      jobs.stopIfStopping(); // the cancel was for the job before
      job.steps = 7;
    });
    expect(await next.done).toMatchObject({ status: 'succeeded', steps: 7 });
  });

  test('during the shutdown a start is 503, even while a job runs (not 409: no job will start here again)', async () => {
    const jobs = instance();
    const step = gate();
    await startJob(jobs, () => step.opened);
    const stopped = jobs.stop();
    await expect(jobs.start({ steps: 0 }, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableException);
    step.open();
    await stopped;
  });

  /**
   * A job that ends at once with its onDone (the audit row) held open, then `beside` (another
   * start, say), then the shutdown: it must wait for that onDone.
   */
  async function shutdownWithAuditPending(beside: (jobs: BackgroundJobs<CountJob>) => Promise<unknown> = async () => undefined) {
    const jobs = instance();
    const audit = gate();
    let audited = false;
    let ended!: () => void;
    const onDoneCalled = new Promise<void>((resolve) => (ended = resolve));
    await jobs.start({ steps: 0 }, async () => undefined, async () => {
      ended();
      await audit.opened;
      audited = true;
    });
    await onDoneCalled; // the job has ended; its onDone waits
    await beside(jobs);
    let stopped = false;
    const stopping = jobs.stop().then(() => (stopped = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(stopped).toBe(false);
    audit.open();
    await stopping;
    expect(audited).toBe(true);
  }

  test("the shutdown waits for the job's onDone too (its audit row is completed before the database closes)", () =>
    shutdownWithAuditPending());

  test("the shutdown waits for an ended job's onDone even while a later job runs beside it", () =>
    shutdownWithAuditPending((jobs) => jobs.start({ steps: 0 }, async () => undefined)));

  test('keeps every job: those that left the memory of the instance are read back from Postgres', async () => {
    const jobs = instance();
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      const { started, done } = await startJob(jobs, async (job) => void (job.steps = i));
      ids.push(started.id);
      await done;
    }
    expect(await jobs.found(ids[0]!)).toMatchObject({ id: ids[0], status: 'succeeded', steps: 0 });
    expect(await jobs.found(ids[21]!)).toMatchObject({ id: ids[21], status: 'succeeded', steps: 21 });
    expect((await jobs.latest())!.id).toBe(ids[21]);
  });

  test('an onDone that throws is logged, not an unhandled rejection, and the job stays as it ended', async () => {
    const errors: string[] = [];
    const logger = new Logger('test');
    logger.error = (message: unknown) => void errors.push(String(message));
    const jobs = instance(20, logger);
    const started = await jobs.start({ steps: 0 }, async () => undefined, () => {
      throw new Error('audit table gone');
    });
    await jobs.stop();
    expect((await jobs.found(started.id)).status).toBe('succeeded');
    expect(errors.join('\n')).toMatch(/audit table gone/);
  });

  /** A job that counts steps until told to stop, checking for a stop between two steps. */
  const counting = (jobs: BackgroundJobs<CountJob>, until: { done: boolean }) => async (job: CountJob) => {
    while (!until.done) {
      jobs.stopIfStopping();
      job.steps += 1;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };

  describe('across instances (one table, every instance reads it)', () => {
    test('a job started on one instance is seen with its progress on another, and how it ended', async () => {
      const a = instance();
      const b = instance();
      const until = { done: false };
      const { started, done } = await startJob(a, counting(a, until));

      const seen = await pollUntil(() => b.found(started.id), (job) => job.steps > 0);
      expect(seen).toMatchObject({ id: started.id, status: 'running', finishedAt: null });
      expect(seen.steps).toBeGreaterThan(0);
      expect(await b.latest()).toMatchObject({ id: started.id, status: 'running' });

      until.done = true;
      const ended = await done;
      expect(await b.found(started.id)).toEqual(ended);
      await expect(b.found('no-such-job')).rejects.toBeInstanceOf(NotFoundException);
    });

    test('one job of a kind at a time across instances: a start on another is 409 naming the running one', async () => {
      const a = instance();
      const b = instance();
      const until = { done: false };
      const { started, done } = await startJob(a, counting(a, until));

      const refusal = await b.start({ steps: 0 }, async () => undefined).catch((error: unknown) => error);
      expect(refusal).toBeInstanceOf(ConflictException);
      expect((refusal as ConflictException).getResponse()).toEqual({
        error: 'CONFLICT',
        jobId: started.id,
        message: `count ${started.id} is still running on another instance`,
      });
      expect(b.running()).toBeNull();
      // another kind is not held by it
      const other = new BackgroundJobs<CountJob>('other', quiet, new PostgresJobRecords<CountJob>(suite.ds(), 'other'), 20);
      expect(await (await startJob(other, async () => undefined)).done).toMatchObject({ status: 'succeeded' });

      until.done = true;
      await done;
      expect(await (await startJob(b, async () => undefined)).done).toMatchObject({ status: 'succeeded' });
    });

    test('a cancel on another instance stops the job where it runs: it ends cancelled there', async () => {
      const a = instance();
      const b = instance();
      const { started, done } = await startJob(a, counting(a, { done: false }));

      expect(await b.cancel(started.id)).toMatchObject({ id: started.id, status: 'running' });
      expect(await done).toMatchObject({ id: started.id, status: 'cancelled', error: 'cancelled by an operator' });
      expect(await b.found(started.id)).toMatchObject({ status: 'cancelled' });
      const again = await b.cancel(started.id).catch((error: unknown) => error);
      expect(again).toBeInstanceOf(ConflictException);
      expect((again as ConflictException).getResponse()).toMatchObject({ message: `count ${started.id} has ended (cancelled)` });
    });

    test('starts at once on two instances, several on each: one runs, and every 409 names it', async () => {
      const a = instance();
      const b = instance();
      const until = { done: false };
      const outcomes = await Promise.allSettled(
        [a, b, a, b, a, b].map((jobs) => jobs.start({ steps: 0 }, counting(jobs, until))),
      );
      const ran = outcomes.filter((o) => o.status === 'fulfilled').map((o) => (o as PromiseFulfilledResult<CountJob>).value);
      expect(ran).toHaveLength(1);
      const named = outcomes
        .filter((o) => o.status === 'rejected')
        .map((o) => ((o as PromiseRejectedResult).reason as ConflictException).getResponse() as { jobId: string });
      expect(named.map((r) => r.jobId)).toEqual(Array(5).fill(ran[0]!.id));
      until.done = true;
      await Promise.all([a.stop(), b.stop()]);
    });

    test('an id Postgres cannot compare (a NUL, %00 in a URL) names no job: 404, not an error', async () => {
      const b = instance();
      await expect(b.found('abc\u0000def')).rejects.toBeInstanceOf(NotFoundException);
      await expect(b.cancel('\u0000')).rejects.toBeInstanceOf(NotFoundException);
    });

    /** A running row of kind "count" as `instance` last wrote it, `secondsAgo`. */
    async function runningRow(id: string, steps: number, instanceName: string, secondsAgo: number): Promise<void> {
      const job = { id, status: 'running', startedAt: '2026-11-28T10:00:00.000Z', finishedAt: null, error: null, steps };
      await suite.ds().query(
        `INSERT INTO admin_jobs (id, kind, status, job, instance, heartbeat_at) VALUES ($1, 'count', 'running', $2, $3, now() - make_interval(secs => $4))`,
        [id, JSON.stringify(job), instanceName, secondsAgo],
      );
    }

    test('a running job whose instance stopped writing it for 30 s is taken as ended: shown failed, and another may start', async () => {
      const dead = { id: 'job-of-a-dead-instance' };
      await runningRow(dead.id, 7, 'host-x pid 1', 31);
      const b = instance();
      expect(await b.found(dead.id)).toMatchObject({
        status: 'failed',
        steps: 7,
        finishedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        error: expect.stringMatching(/^abandoned: its instance \(host-x pid 1\) stopped writing it at \d{4}-.*Z, and it is taken as ended/),
      });
      expect(await (await startJob(b, async () => undefined)).done).toMatchObject({ status: 'succeeded' });
    });

    test('a running job written 10 s ago still holds its place', async () => {
      const quietOne = { id: 'job-slow-to-write' };
      await runningRow(quietOne.id, 0, 'host-y pid 2', 10);
      const b = instance();
      await expect(b.start({ steps: 0 }, async () => undefined)).rejects.toMatchObject({ status: 409, response: { jobId: quietOne.id } });
      expect(await b.found(quietOne.id)).toMatchObject({ status: 'running' });
    });

    test('an instance whose job another took as abandoned stops it, failed, saying so', async () => {
      const a = instance();
      const { started, done } = await startJob(a, counting(a, { done: false }));
      // as another instance's look ends it when this one could not write it in time
      await suite.ds().query(`UPDATE admin_jobs SET status = 'failed' WHERE id = $1`, [started.id]);
      expect(await done).toMatchObject({ status: 'failed', error: expect.stringMatching(/another instance took it as abandoned/) });
    });
  });

  /** The records of kind "count", whose writes of an ended job fail while `refusing.final` holds, or wait `slowMs` first. */
  function flakyRecords(refusing: { final: boolean; slowMs?: number }) {
    const records = new PostgresJobRecords<CountJob>(suite.ds(), 'count');
    const save = records.save.bind(records);
    records.save = async (job) => {
      if (job.status !== 'running') {
        if (refusing.final) throw new Error('Connection terminated unexpectedly');
        if (refusing.slowMs) await new Promise((resolve) => setTimeout(resolve, refusing.slowMs));
      }
      return save(job);
    };
    return records;
  }

  describe('the end of a job, as the database takes it', () => {
    test('a shutdown that begins while a start is written: 503, and its row ends failed, not running', async () => {
      const records = new PostgresJobRecords<CountJob>(suite.ds(), 'count');
      const claim = records.claim.bind(records);
      const claimed = gate();
      let claiming!: () => void;
      const claimBegan = new Promise<void>((resolve) => (claiming = resolve));
      records.claim = async (job, instanceName) => {
        claiming();
        const holder = await claim(job, instanceName);
        await claimed.opened;
        return holder;
      };
      // and the database refuses the first write of its end
      const save = records.save.bind(records);
      let refused = false;
      records.save = async (job) => {
        if (job.status !== 'running' && !refused) {
          refused = true;
          throw new Error('Connection terminated unexpectedly');
        }
        return save(job);
      };
      const jobs = new BackgroundJobs<CountJob>('count', quiet, records, 20);
      const starting = jobs.start({ steps: 0 }, async () => undefined);
      await claimBegan;
      const stopping = jobs.stop();
      claimed.open();
      await expect(starting).rejects.toBeInstanceOf(ServiceUnavailableException);
      await stopping;
      const rows = (await suite.ds().query(`SELECT status, job->>'error' AS error FROM admin_jobs`)) as { status: string; error: string }[];
      expect(rows).toEqual([{ status: 'failed', error: 'stopped: the service is shutting down' }]);
      expect(jobs.running()).toBeNull();
    });

    test('until its end is written, the job is running everywhere: a start here is 409 naming it, then may start', async () => {
      const jobs = new BackgroundJobs<CountJob>('count', quiet, flakyRecords({ final: false, slowMs: 300 }), 20);
      let worked!: () => void;
      const workDone = new Promise<void>((resolve) => (worked = resolve));
      const { started, done } = await startJob(jobs, async (job) => {
        job.steps = 2;
        worked();
      });
      await workDone;
      await expect(jobs.start({ steps: 0 }, async () => undefined)).rejects.toMatchObject({
        status: 409,
        response: { jobId: started.id, message: `count ${started.id} is still running` },
      });
      expect(await instance().found(started.id)).toMatchObject({ status: 'running' });
      expect(await done).toMatchObject({ status: 'succeeded', steps: 2 });
      expect(await instance().found(started.id)).toMatchObject({ status: 'succeeded', steps: 2 });
      expect(await (await startJob(jobs, async () => undefined)).done).toMatchObject({ status: 'succeeded' });
    });

    test('an end the database refused at first is written when it takes it again', async () => {
      const refusing = { final: true };
      const jobs = new BackgroundJobs<CountJob>('count', quiet, flakyRecords(refusing), 20);
      const { started, done } = await startJob(jobs, async (job) => {
        job.steps = 5;
        setTimeout(() => (refusing.final = false), 300);
      });
      expect(await done).toMatchObject({ status: 'succeeded', steps: 5 });
      expect(await instance().found(started.id)).toMatchObject({ status: 'succeeded', steps: 5, finishedAt: expect.any(String) });
    });

    test('an end never written holds the row until the next start here writes it, and starts', async () => {
      const refusing = { final: true };
      const jobs = new BackgroundJobs<CountJob>('count', quiet, flakyRecords(refusing), 20, 200);
      const { started, done } = await startJob(jobs, async (job) => void (job.steps = 3));
      expect(await done).toMatchObject({ status: 'succeeded' });
      // every instance, this one too, shows the row: an instance does not tell its own story apart
      expect(await jobs.found(started.id)).toMatchObject({ status: 'running' });
      // the row still says running: another instance cannot start
      await expect(instance().start({ steps: 0 }, async () => undefined)).rejects.toMatchObject({ status: 409, response: { jobId: started.id } });

      refusing.final = false;
      expect(await (await startJob(jobs, async () => undefined)).done).toMatchObject({ status: 'succeeded' });
      expect(await instance().found(started.id)).toMatchObject({ status: 'succeeded', steps: 3 });
    });
  });

  test('the shutdown refuses new jobs of every kind before it waits for any running one', async () => {
    const rebuilds = instance();
    const republishes = new BackgroundJobs<CountJob>('other', quiet, new PostgresJobRecords<CountJob>(suite.ds(), 'other'), 20);
    const shutdown = new AdminJobsShutdown({ jobs: rebuilds } as unknown as CallsRebuildService, { jobs: republishes } as unknown as OutboxRepublisher);
    const step = gate();
    const { done } = await startJob(rebuilds, async () => {
      await step.opened;
      rebuilds.stopIfStopping();
    });
    const stopping = shutdown.beforeApplicationShutdown();
    // the rebuild is still in its unit of work: a republish must not start meanwhile
    await expect(republishes.start({ steps: 0 }, async () => undefined)).rejects.toBeInstanceOf(ServiceUnavailableException);
    step.open();
    await stopping;
    expect(await done).toMatchObject({ status: 'failed', error: 'stopped: the service is shutting down' });
    expect(await suite.ds().query(`SELECT count(*)::int AS n FROM admin_jobs WHERE kind = 'other'`)).toEqual([{ n: 0 }]);
  });
});

