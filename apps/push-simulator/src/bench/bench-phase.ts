/**
 * What every bench shares: its settings (BENCH_* variables), one measured phase of the load
 * generator against a server (CPU of the server, of its Postgres backends and of the generator, and
 * how long their threads waited for a core), and the servers it starts as child processes.
 */
import { spawnSync } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { parseDurationMs } from '../cli-options.js';
import { runSimulation, type SimulationOptions } from '../simulation.js';
import type { SimulationSummary } from '../simulation-stats.js';
import { freePort, isTcpOpen, startChild, type ChildService } from './child-service.js';
import { idlePercent, machineTicks, schedTimes, threadShare, UsageSampler, type ProcessUsage, type ThreadShare } from './process-stats.js';
import { SecondTrace, type ServiceAckBounds, type TracedSecond } from './second-trace.js';
import { undoOnInterrupt } from './interrupt-cleanup.js';

const here = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(here, '../../../../..');
export const RESULTS = resolve(ROOT, 'bench/results');
const env = (name: string, fallback: string) => process.env[name]?.trim() || fallback;

export const SETTINGS = {
  concurrency: Number(env('BENCH_CONCURRENCY', '64')),
  /** the open-loop phase's in-flight cap: higher, so arrivals do not wait for answers */
  openLoopConcurrency: Number(env('BENCH_OPEN_CONCURRENCY', '256')),
  warmupMs: parseDurationMs(env('BENCH_WARMUP', '5s'), 'BENCH_WARMUP'),
  saturationMs: parseDurationMs(env('BENCH_SATURATION', '15s'), 'BENCH_SATURATION'),
  halfRateMs: parseDurationMs(env('BENCH_HALF', '15s'), 'BENCH_HALF'),
  /** ack → Kafka is measured in a phase of its own, at the half rate (see benchTarget) */
  kafkaLagMs: parseDurationMs(env('BENCH_KAFKA_LAG', '10s'), 'BENCH_KAFKA_LAG'),
  halfRateShare: 0.5,
  viewLagSampleEvery: 10,
  seed: 42,
  timeScale: 0.001,
  timeoutMs: 3000,
  // the CLI example's realistic misbehaviour, the same for both targets
  anomalies: { duplicate: 0.1, reorder: 0.2, cdrFirst: 0.05, lostStatus: 0.05, missingCdr: 0.02, unitMixup: 0.01 },
  mix: { answered: 0.6, unanswered: 0.25, privacy: 0.1, sms: 0.05 },
  postgres: env('BENCH_POSTGRES', 'postgres://postgres@127.0.0.1:5432/postgres'),
  kafka: env('BENCH_KAFKA', '127.0.0.1:9092'),
  /** e.g. BENCH_SERVICE_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile voice-push under load */
  serviceNodeArgs: env('BENCH_SERVICE_NODE_ARGS', '').split(/\s+/).filter(Boolean),
};

export interface PhaseResult {
  summary: SimulationSummary;
  service: ProcessUsage;
  /** CPU of the service's Postgres backends, % of one core (voice-push only) */
  postgresCpuPercent: number | null;
  /** the same backends' time runnable but waiting for a core, % of one core (voice-push only) */
  postgresWaitPercent: number | null;
  /** CPU of this process — the load generator — in % of one core */
  generatorCpuPercent: number;
  /** the load generator's main thread over the phase */
  generatorThread: ThreadShare | null;
  /** idle share of all the machine's cores over the phase, % */
  machineIdlePercent: number | null;
  targetRate: number | null;
  /** what the machine and the service did in each second (traced phases only) */
  seconds: TracedSecond[] | null;
  /** the service's own ack times over the phase (traced voice-push phases only) */
  serviceAck: ServiceAckBounds | null;
}

export const log = (text: string) => process.stderr.write(`bench: ${text}\n`);

export async function phase(
  label: string,
  target: ChildService,
  options: Partial<SimulationOptions> & { durationMs: number },
  /** the server's Postgres backends, listed again every second: its pool opens and closes them during a phase */
  postgresPids: (() => Promise<readonly number[]>) | null = null,
  /** trace each second; `metricsUrl`: the service's /metrics, for its event loop */
  trace?: { metricsUrl: string | null },
): Promise<PhaseResult> {
  log(`${label}: ${options.rate ? `open loop at ${options.rate} req/s` : 'closed loop'}, concurrency ${options.concurrency ?? SETTINGS.concurrency}, ${options.durationMs / 1000} s`);
  const backends = postgresPids ? new RefreshedList(postgresPids, await postgresPids()) : null;
  const sampler = new UsageSampler(target.pid, () => backends?.current ?? []);
  const generatorStart = process.cpuUsage();
  const generatorSched = schedTimes(process.pid);
  const machineStart = machineTicks();
  const traced = trace ? new SecondTrace(trace.metricsUrl) : null;
  const phaseStart = performance.now();
  let summary: SimulationSummary;
  let usage: ReturnType<UsageSampler['stop']>;
  try {
    summary = await runSimulation({
      url: target.url,
      concurrency: SETTINGS.concurrency,
      seed: SETTINGS.seed,
      timeScale: SETTINGS.timeScale,
      timeoutMs: SETTINGS.timeoutMs,
      drainTimeoutMs: 5000,
      anomalies: SETTINGS.anomalies,
      mix: SETTINGS.mix,
      progress: (line) => process.stderr.write(`  ${label} ${line}\n`),
      ...options,
    });
  } catch (error) {
    await traced?.stop().catch(() => undefined); // its timer would keep a failed bench alive
    throw error;
  } finally {
    usage = sampler.stop();
    await backends?.stop();
  }
  const elapsedMs = performance.now() - phaseStart;
  const generator = process.cpuUsage(generatorStart);
  const generatorCpuPercent = round(((generator.user + generator.system) / 1000 / elapsedMs) * 100);
  return {
    summary,
    service: usage.main,
    postgresCpuPercent: backends ? usage.helpersCpuPercent : null,
    postgresWaitPercent: backends ? usage.helpersWaitPercent : null,
    generatorCpuPercent,
    generatorThread: threadShare(generatorSched, schedTimes(process.pid), elapsedMs / 1000),
    machineIdlePercent: idlePercent(machineStart, machineTicks()),
    targetRate: options.rate ?? null,
    ...(traced ? await traced.stop() : { seconds: null, serviceAck: null }),
  };
}

/**
 * Each measured phase starts with the previous phase's writes on disk: otherwise the kernel writes
 * back the saturation phase's ~300 MB while the half-rate phase runs, and Postgres' WAL flushes
 * wait behind it (commits of 25–67 ms at the moments vmstat showed 96–295 MB written in one
 * second), which put the half-rate p99 at 80–175 ms while a later phase at the same rate measured
 * 29 ms. A sync, not a CHECKPOINT: after a checkpoint every page's first change writes a full-page
 * image, and the phase after it paid for that instead.
 */
export function settleIo(): void {
  spawnSync('sync');
}

/** A warm-up (closed loop, not kept), the previous writes on disk, then the measured saturation. */
export async function saturate(name: string, target: ChildService, postgresPids: (() => Promise<readonly number[]>) | null = null): Promise<PhaseResult> {
  await phase(`${name}/warm-up`, target, { durationMs: SETTINGS.warmupMs });
  settleIo();
  return phase(`${name}/saturation`, target, { durationMs: SETTINGS.saturationMs }, postgresPids);
}

/** A list read again every second in the background (one read at a time), its last reading kept. */
class RefreshedList {
  private readonly timer: NodeJS.Timeout;
  private reading: Promise<void> = Promise.resolve();

  constructor(
    private readonly read: () => Promise<readonly number[]>,
    public current: readonly number[],
  ) {
    this.timer = setInterval(() => {
      this.reading = this.reading.then(async () => {
        this.current = await this.read().catch(() => this.current);
      });
    }, 1_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reading;
  }
}

/** Runs `measure` against a fresh server started from `script` (a file next to this one). */
export async function withServer<T>(
  script: string,
  logName: string,
  measure: (server: ChildService) => Promise<T>,
  env: Record<string, string> = {},
): Promise<T> {
  const server = await startChild({
    script: resolve(here, script),
    env,
    port: await freePort(),
    readyPath: '/',
    logFile: resolve(RESULTS, logName),
  });
  try {
    return await measure(server);
  } finally {
    await server.stop();
  }
}

/** Runs `measure` against a fresh bare-Fastify server: the machine's HTTP ceiling. */
export const withCeiling = <T>(logName: string, measure: (ceiling: ChildService) => Promise<T>): Promise<T> =>
  withServer('ceiling-server.js', logName, measure);

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Whether the bench's broker answers (BENCH_KAFKA); without one nothing measures Kafka. */
export async function kafkaAnswers(): Promise<boolean> {
  const [host, port] = SETTINGS.kafka.split(':');
  const up = await isTcpOpen(host!, Number(port));
  log(`Kafka at ${SETTINGS.kafka}: ${up ? 'answers' : 'not there'}`);
  return up;
}

export interface ScratchDatabase {
  url: string;
  /** the pids of the connections to this database: a server's Postgres backends */
  backends(): Promise<number[]>;
}

/** Runs `use` with a database of its own, dropped afterwards whatever happens. */
export async function withScratchDatabase<T>(prefix: string, use: (db: ScratchDatabase) => Promise<T>): Promise<T> {
  const admin = new pg.Client({ connectionString: SETTINGS.postgres });
  await admin.connect();
  const name = `${prefix}_${Date.now()}_${process.pid}`;
  await admin.query(`CREATE DATABASE ${name}`);
  log(`created database ${name}`);
  const forget = undoOnInterrupt(() => admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
  try {
    return await use({
      url: SETTINGS.postgres.replace(/\/[^/]*$/, `/${name}`),
      backends: async () =>
        (await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [name])).rows.map((r) => r.pid),
    });
  } finally {
    forget();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    log(`dropped database ${name}`);
  }
}

/**
 * Runs `measure` against voice-push itself (the build in dist/) on `databaseUrl`, publishing to
 * Kafka when `kafka`; returns what it measured and the service's exit code after SIGTERM.
 */
export async function withVoicePush<T>(
  databaseUrl: string,
  kafka: boolean,
  logName: string,
  measure: (service: ChildService) => Promise<T>,
): Promise<{ result: T; exitCode: number | null }> {
  const service = await startChild({
    script: resolve(ROOT, 'dist/apps/voice-push/src/main.js'),
    env: { DATABASE_URL: databaseUrl, HOST: '127.0.0.1', LOG_LEVEL: 'warn', KAFKA_BROKERS: kafka ? SETTINGS.kafka : '' },
    port: await freePort(),
    readyPath: '/health/ready',
    logFile: resolve(RESULTS, logName),
    nodeArgs: SETTINGS.serviceNodeArgs,
  });
  let result: T;
  try {
    result = await measure(service);
  } catch (error) {
    await service.stop();
    throw error;
  }
  return { result, exitCode: await service.stop() };
}
