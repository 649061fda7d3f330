import { ConflictException, Logger, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { describe, expect, test } from '@jest/globals';
import { BackgroundJobs, type JobState } from './background-jobs.js';

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

function finished(jobs: BackgroundJobs<CountJob>, work: (job: CountJob) => Promise<void>): { started: CountJob; done: Promise<CountJob> } {
  let started!: CountJob;
  const done = new Promise<CountJob>((resolve) => {
    started = jobs.start({ steps: 0 }, work, resolve);
  });
  return { started, done };
}

describe('BackgroundJobs', () => {
  test('answers the job as it starts, runs it in the background, and tells its end with what it did', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const step = gate();
    const { started, done } = finished(jobs, async (job) => {
      await step.opened;
      job.steps = 3;
    });

    expect(started).toMatchObject({ status: 'running', steps: 0, finishedAt: null, error: null });
    expect(jobs.get(started.id)).toMatchObject({ status: 'running' });
    step.open();
    const ended = await done;

    expect(ended).toMatchObject({ id: started.id, status: 'succeeded', steps: 3, error: null, finishedAt: expect.any(String) });
    expect(jobs.get(started.id)).toEqual(ended);
    expect(jobs.latest()).toEqual(ended);
    // a copy: changing it changes nothing kept
    ended.steps = 99;
    expect(jobs.get(started.id)!.steps).toBe(3);
  });

  test('one job at a time: a second start while one runs is a 409 naming it; after it ends, another may start', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const step = gate();
    const first = finished(jobs, () => step.opened);

    let refusal: unknown;
    try {
      jobs.start({ steps: 0 }, async () => undefined);
    } catch (error) {
      refusal = error;
    }
    expect(refusal).toBeInstanceOf(ConflictException);
    expect((refusal as ConflictException).getResponse()).toMatchObject({ error: 'CONFLICT', jobId: first.started.id });

    step.open();
    await first.done;
    const second = finished(jobs, async () => undefined);
    expect((await second.done).status).toBe('succeeded');
  });

  test('a job that throws ends failed with the error; the next one starts', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const { done } = finished(jobs, async (job) => {
      job.steps = 1;
      throw new Error('Postgres went away');
    });
    expect(await done).toMatchObject({ status: 'failed', error: 'Postgres went away', steps: 1, finishedAt: expect.any(String) });
    expect((await finished(jobs, async () => undefined).done).status).toBe('succeeded');
  });

  test('a shutdown lets the unit of work in hand finish, stops the job before the next, and starts no new one', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const step = gate();
    const { done } = finished(jobs, async (job) => {
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
    expect(() => jobs.start({ steps: 0 }, async () => undefined)).toThrow(ServiceUnavailableException);
  });

  test("an operator's cancel stops the job after the unit of work in hand: it ends cancelled, and the next may start", async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const step = gate();
    const { started, done } = finished(jobs, async (job) => {
      for (;;) {
        jobs.stopIfStopping();
        await step.opened;
        job.steps += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    });
    expect(jobs.cancel(started.id)).toMatchObject({ id: started.id, status: 'running' });
    step.open();
    expect(await done).toMatchObject({ status: 'cancelled', steps: 1, error: 'cancelled by an operator', finishedAt: expect.any(String) });

    expect(() => jobs.cancel(started.id)).toThrow(ConflictException); // it has ended
    expect(() => jobs.cancel('no-such-job')).toThrow(NotFoundException);
    const next = finished(jobs, async (job) => {
      jobs.stopIfStopping(); // the cancel was for the job before
      job.steps = 7;
    });
    expect(await next.done).toMatchObject({ status: 'succeeded', steps: 7 });
  });

  test('during the shutdown a start is 503, even while a job runs (not 409: no job will start here again)', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const step = gate();
    finished(jobs, () => step.opened);
    const stopped = jobs.stop();
    expect(() => jobs.start({ steps: 0 }, async () => undefined)).toThrow(ServiceUnavailableException);
    step.open();
    await stopped;
  });

  /**
   * A job that ends at once with its onDone (the audit row) held open, then `beside` (another
   * start, say), then the shutdown: it must wait for that onDone.
   */
  async function shutdownWithAuditPending(beside: (jobs: BackgroundJobs<CountJob>) => void = () => undefined) {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const audit = gate();
    let audited = false;
    jobs.start({ steps: 0 }, async () => undefined, async () => {
      await audit.opened;
      audited = true;
    });
    await new Promise((resolve) => setImmediate(resolve)); // the job has ended; its onDone waits
    beside(jobs);
    await new Promise((resolve) => setImmediate(resolve));
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

  test('keeps the last 20 jobs', async () => {
    const jobs = new BackgroundJobs<CountJob>('count', quiet);
    const ids: string[] = [];
    for (let i = 0; i < 22; i++) {
      const { started, done } = finished(jobs, async () => undefined);
      ids.push(started.id);
      await done;
    }
    expect(jobs.get(ids[0]!)).toBeNull();
    expect(jobs.get(ids[1]!)).toBeNull();
    expect(jobs.get(ids[2]!)).not.toBeNull();
    expect(jobs.latest()!.id).toBe(ids[21]);
  });

  test('an onDone that throws is logged, not an unhandled rejection, and the job stays as it ended', async () => {
    const errors: string[] = [];
    const logger = new Logger('test');
    logger.error = (message: unknown) => void errors.push(String(message));
    const jobs = new BackgroundJobs<CountJob>('count', logger);
    const started = jobs.start({ steps: 0 }, async () => undefined, () => {
      throw new Error('audit table gone');
    });
    await jobs.stop();
    expect(jobs.get(started.id)!.status).toBe('succeeded');
    expect(errors.join('\n')).toMatch(/audit table gone/);
  });
});
