/**
 * `npm run bench`: the push simulator against (1) a bare Fastify server — the machine's HTTP
 * ceiling — and (2) voice-push on a fresh temporary Postgres database (and Kafka when a broker
 * answers on 127.0.0.1:9092), same load generator, same concurrency, same call mix:
 *   warm-up (closed loop) → saturation (closed loop, max concurrency) → half rate (open loop at
 *   50% of the measured saturation) with ack→view and ack→Kafka lag sampled; then (3) the ceiling's
 *   saturation again, so the ratio compares voice-push with the machine on both sides of it.
 * Writes bench/results/latest.json and latest.md. Settings come from BENCH_* variables (below).
 */
import { installInterruptCleanup } from './interrupt-cleanup.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import pg from 'pg';
import type { SimulationSummary } from '../simulation-stats.js';
import { isAcknowledged, type TryOutcome } from '../try-outcome.js';
import type { Push } from '../push.js';
import type { ChildService } from './child-service.js';
import { KafkaLagProbe, type KafkaLagResult } from './kafka-lag.js';
import {
  kafkaAnswers,
  log,
  phase,
  RESULTS,
  round,
  saturate,
  SETTINGS,
  settleIo,
  withCeiling,
  withScratchDatabase,
  withVoicePush,
  type PhaseResult,
  type ScratchDatabase,
} from './bench-phase.js';
import { formatServiceAck, formatWorstSecondsTraced } from './second-trace.js';
import type { ThreadShare } from './process-stats.js';
import { ViewLagProbe, type ViewLagResult } from './view-lag.js';
import { RELAY_BACKLOG_SQL, type RelayBacklog } from '../../../voice-push/src/outbox-relay/call-event-log.js';

interface TargetResult {
  name: string;
  saturation: PhaseResult;
  halfRate: PhaseResult;
  /** the half rate again, with a Kafka consumer running in the load generator (Kafka only) */
  kafkaLagPhase: PhaseResult | null;
  viewLag: ViewLagResult | null;
  kafkaLag: KafkaLagResult | null;
  /** ms until nothing waited for Kafka after the saturation phase (Kafka only) */
  relayDrainMs: number | null;
}

async function benchTarget(
  name: string,
  target: ChildService,
  extras: { db?: ScratchDatabase; kafkaBrokers?: string[] } = {},
): Promise<TargetResult> {
  const backends = extras.db ? () => extras.db!.backends() : null;
  const saturation = await saturate(name, target, backends);

  let relayDrainMs: number | null = null;
  if (extras.kafkaBrokers && extras.db) relayDrainMs = await relayBacklogEmptyAfter(extras.db.url);

  const rate = Math.max(1, Math.round(saturation.summary.acksPerSecond * SETTINGS.halfRateShare));
  /**
   * An open-loop phase at the half rate; `onCdrAck` hears of each call's first acknowledged CDR;
   * `traced`: each second traced (second-trace.ts), for the phase whose slowest seconds are shown.
   */
  const openLoop = async (label: string, durationMs: number, onCdrAck: (callId: string, at: number) => void, traced = false) => {
    settleIo();
    return phase(
      `${name}/${label}`,
      target,
      {
        durationMs,
        rate,
        concurrency: SETTINGS.openLoopConcurrency,
        onTry: (push, outcome, _try, at) => {
          if (isFirstCdrAck(push, outcome)) onCdrAck(push.callId, at);
        },
      },
      backends,
      traced ? { metricsUrl: name === 'voice-push' ? `${target.url}/metrics` : null } : undefined,
    );
  };

  const view = name === 'voice-push' ? new ViewLagProbe(target.url) : null;
  let cdrAcks = 0;
  const halfRate = await openLoop(
    'half-rate',
    SETTINGS.halfRateMs,
    (callId, at) => {
      if (view && cdrAcks++ % SETTINGS.viewLagSampleEvery === 0) view.track(callId, at);
    },
    true,
  );

  // Its own phase: a consumer decoding every finalised view takes CPU from the two cores the
  // acknowledgements of the half-rate phase are measured on (there p50 went from 3.5 to 9 ms).
  let kafka: KafkaLagProbe | null = null;
  let kafkaLagPhase: PhaseResult | null = null;
  if (extras.kafkaBrokers) {
    log(`${name}: starting the Kafka consumer`);
    const probe = await KafkaLagProbe.start(extras.kafkaBrokers, `voice-push-bench-${process.pid}-${Date.now()}`);
    kafka = probe;
    kafkaLagPhase = await openLoop('kafka-lag', SETTINGS.kafkaLagMs, (callId, at) => probe.track(callId, at));
  }
  return {
    name,
    saturation,
    halfRate,
    kafkaLagPhase,
    viewLag: view ? await view.finish() : null,
    kafkaLag: kafka ? await kafka.finish(30_000) : null,
    relayDrainMs,
  };
}

/** What makes a commit cost what it does here: said with the numbers, since they change them. */
async function postgresSettings(): Promise<Record<string, string>> {
  const names = ['server_version', 'fsync', 'synchronous_commit', 'full_page_writes', 'wal_compression', 'checkpoint_timeout', 'max_wal_size', 'shared_buffers'];
  const client = new pg.Client({ connectionString: SETTINGS.postgres });
  await client.connect();
  try {
    const rows = (await client.query<{ name: string; setting: string }>(`SELECT name, current_setting(name) AS setting FROM unnest($1::text[]) AS name`, [names])).rows;
    return Object.fromEntries(rows.map((r) => [r.name, r.setting]));
  } finally {
    await client.end();
  }
}

/** a CDR acknowledged, not its duplicate: from here the call's finalised view is due */
const isFirstCdrAck = (push: Push, outcome: TryOutcome): boolean =>
  push.kind === 'cdr' && !push.duplicate && isAcknowledged(outcome);

/**
 * ms until the service's relay backlog is empty (everything acknowledged so far has reached
 * Kafka): the service's own definition, as its metrics and admin stats count it.
 */
async function relayBacklogEmptyAfter(databaseUrl: string): Promise<number> {
  const started = performance.now();
  const service = new pg.Client({ connectionString: databaseUrl });
  await service.connect();
  try {
    while ((await service.query<RelayBacklog>(RELAY_BACKLOG_SQL)).rows[0]!.events > 0) {
      if (performance.now() - started > 120_000) throw new Error('the relay backlog did not empty within 120 s');
      await new Promise((r) => setTimeout(r, 250));
    }
  } finally {
    await service.end();
  }
  const ms = Math.round(performance.now() - started);
  log(`relay backlog empty ${ms} ms after the saturation phase`);
  return ms;
}

/** The open loop's achieved rate of new pushes, and a warning when it fell short of the target. */
function achieved(phase: PhaseResult): string {
  const loop = phase.summary.openLoop;
  if (!loop) return '—';
  return `${loop.achievedRate}${loop.rateMet ? '' : ' (short of the target)'}`;
}

async function main(): Promise<void> {
  installInterruptCleanup(log);
  mkdirSync(RESULTS, { recursive: true });
  const startedAt = new Date().toISOString();
  const kafkaUp = await kafkaAnswers();
  const postgres = await postgresSettings();

  // (1) the ceiling
  const ceilingResult = await withCeiling('latest-ceiling.log', (ceiling) => benchTarget('ceiling', ceiling));

  // (2) voice-push on a fresh database
  const { result: serviceResult, exitCode } = await withScratchDatabase('voice_push_bench', (db) =>
    withVoicePush(db.url, kafkaUp, 'latest-voice-push.log', (service) =>
      benchTarget('voice-push', service, { db, ...(kafkaUp ? { kafkaBrokers: [SETTINGS.kafka] } : {}) }),
    ),
  );

  // (3) the ceiling's saturation again: the machine drifts (this one's ceiling measured 13,500 to
  // 24,000 /s on different days), and a ratio against one side only would carry that drift
  const ceilingAgain = await withCeiling('latest-ceiling-again.log', (ceiling) => saturate('ceiling-again', ceiling));

  const pushesPerSecond = serviceResult.saturation.summary.acksPerSecond;
  const before = ceilingResult.saturation.summary.acksPerSecond;
  const after = ceilingAgain.summary.acksPerSecond;
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? 'unknown',
      memoryMb: Math.round(os.totalmem() / 2 ** 20),
      node: process.version,
      note: 'load generator, server and Postgres share this machine',
    },
    settings: { ...SETTINGS, kafka: kafkaUp ? SETTINGS.kafka : null },
    postgres,
    ceiling: ceilingResult,
    ceilingAgain: { saturation: ceilingAgain },
    voicePush: { ...serviceResult, exitCode: exitCode ?? null },
    ratio: {
      /** against the mean of the ceiling measured before and after voice-push */
      throughput: round(pushesPerSecond / ((before + after) / 2), 3),
      againstBefore: round(pushesPerSecond / before, 3),
      againstAfter: round(pushesPerSecond / after, 3),
    },
  };
  writeFileSync(resolve(RESULTS, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(resolve(RESULTS, 'latest.md'), markdown(results));
  process.stdout.write(markdown(results));
}

const pcts = (l: { p50: number; p95: number; p99: number; max?: number }, withMax = false) =>
  [l.p50, l.p95, l.p99, ...(withMax ? [l.max ?? 0] : [])].map((v) => round(v, 2)).join(' / ');
const fromSchedule = (s: SimulationSummary) =>
  s.openLoop ? `${pcts(s.openLoop.latencyFromScheduleMs, true)} (${s.openLoop.skippedSlots} slots skipped in stalls)` : '—';
const formatShare = (share: ThreadShare | null) => (share ? `${share.runPercent} / ${share.waitPercent}` : '—');
const failures = (s: SimulationSummary) =>
  `${s.rejected4xx + s.serverErrors5xx + s.otherNon2xx} / ${s.timeouts} / ${s.networkErrors} / ${s.givenUp + s.abandoned}`;

function markdown(r: {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  settings: Omit<typeof SETTINGS, 'kafka'> & { kafka: string | null };
  postgres: Record<string, string>;
  ceiling: TargetResult;
  ceilingAgain: { saturation: PhaseResult };
  voicePush: TargetResult & { exitCode: number | null };
  ratio: { throughput: number; againstBefore: number; againstAfter: number };
}): string {
  const c = r.ceiling;
  const v = r.voicePush;
  const rows: Array<[string, string, string]> = [
    ['throughput at saturation (2xx/s, closed loop)', String(c.saturation.summary.acksPerSecond), String(v.saturation.summary.acksPerSecond)],
    ['ceiling throughput at saturation again, after voice-push (2xx/s)', String(r.ceilingAgain.saturation.summary.acksPerSecond), '—'],
    ['ack latency at saturation p50 / p95 / p99 / max (ms)', pcts(c.saturation.summary.latencyMs, true), pcts(v.saturation.summary.latencyMs, true)],
    // achieved: first tries by the schedule (retries, which keep their own, would hide a short rate)
    ['half rate: target / achieved (new pushes/s, open loop)', `${c.halfRate.targetRate} / ${achieved(c.halfRate)}`, `${v.halfRate.targetRate} / ${achieved(v.halfRate)}`],
    ['ack latency at half rate p50 / p95 / p99 / max (ms)', pcts(c.halfRate.summary.latencyMs, true), pcts(v.halfRate.summary.latencyMs, true)],
    [
      'half rate, counted from the slot the schedule gave each push (a wait for a free connection or a late generator included) p50 / p95 / p99 / max (ms)',
      fromSchedule(c.halfRate.summary),
      fromSchedule(v.halfRate.summary),
    ],
    [
      "half rate: the same pushes as the service times them (body read → answer, its voice_push_ack_seconds histogram: bounds, not percentiles); the rest of the generator's time is HTTP, the kernel, the wait for a core and the generator itself",
      '—',
      formatServiceAck(v.halfRate.serviceAck),
    ],
    [
      'half rate: slowest seconds of the phase (second: slowest answer; the machine and the server in that second)',
      formatWorstSecondsTraced(c.halfRate.summary.latencyMs.worstSeconds, c.halfRate.seconds ?? []),
      formatWorstSecondsTraced(v.halfRate.summary.latencyMs.worstSeconds, v.halfRate.seconds ?? []),
    ],
    ['server CPU at saturation / half rate (% of one core)', `${c.saturation.service.cpuPercent} / ${c.halfRate.service.cpuPercent}`, `${v.saturation.service.cpuPercent} / ${v.halfRate.service.cpuPercent}`],
    ['Postgres backends CPU at saturation / half rate (% of one core)', '—', `${v.saturation.postgresCpuPercent ?? '—'} / ${v.halfRate.postgresCpuPercent ?? '—'}`],
    ['load generator CPU at saturation / half rate (% of one core)', `${c.saturation.generatorCpuPercent} / ${c.halfRate.generatorCpuPercent}`, `${v.saturation.generatorCpuPercent} / ${v.halfRate.generatorCpuPercent}`],
    ['machine idle at saturation / half rate (% of all its cores)', `${c.saturation.machineIdlePercent ?? '—'} / ${c.halfRate.machineIdlePercent ?? '—'}`, `${v.saturation.machineIdlePercent ?? '—'} / ${v.halfRate.machineIdlePercent ?? '—'}`],
    [
      "server's main thread (event loop) at saturation · half rate: on a core / runnable, waiting for one (% of the phase)",
      `${formatShare(c.saturation.service.mainThread)} · ${formatShare(c.halfRate.service.mainThread)}`,
      `${formatShare(v.saturation.service.mainThread)} · ${formatShare(v.halfRate.service.mainThread)}`,
    ],
    ['Postgres backends waiting for a core at saturation / half rate (% of one core)', '—', `${v.saturation.postgresWaitPercent ?? '—'} / ${v.halfRate.postgresWaitPercent ?? '—'}`],
    [
      "load generator's main thread at saturation · half rate: on a core / waiting for one (% of the phase)",
      `${formatShare(c.saturation.generatorThread)} · ${formatShare(c.halfRate.generatorThread)}`,
      `${formatShare(v.saturation.generatorThread)} · ${formatShare(v.halfRate.generatorThread)}`,
    ],
    ['server RSS peak (MB)', String(Math.max(c.saturation.service.rssPeakMb, c.halfRate.service.rssPeakMb)), String(Math.max(v.saturation.service.rssPeakMb, v.halfRate.service.rssPeakMb))],
    ['pushes sent (saturation + half rate)', String(c.saturation.summary.sent + c.halfRate.summary.sent), String(v.saturation.summary.sent + v.halfRate.summary.sent)],
    ['duplicates acknowledged (saturation + half rate)', String(c.saturation.summary.duplicatesAcknowledged + c.halfRate.summary.duplicatesAcknowledged), String(v.saturation.summary.duplicatesAcknowledged + v.halfRate.summary.duplicatesAcknowledged)],
    ['non-2xx / timeouts / network errors / given up (saturation)', failures(c.saturation.summary), failures(v.saturation.summary)],
    ['non-2xx / timeouts / network errors / given up (half rate)', failures(c.halfRate.summary), failures(v.halfRate.summary)],
    [
      'ack → view FINALIZED lag p50 / p95 / p99 / max (ms)',
      '—',
      v.viewLag ? `${pcts(v.viewLag.lagMs, true)} (n=${v.viewLag.lagMs.count}, ${round(v.viewLag.finalizedAtFirstGet * 100)}% at the first GET, ${v.viewLag.notFinalized} never)` : '—',
    ],
    [
      'ack → Kafka voice.calls.finalized.v1 lag p50 / p95 / p99 / max (ms), own phase at the half rate',
      '—',
      v.kafkaLag ? `${pcts(v.kafkaLag.lagMs, true)} (${v.kafkaLag.received}/${v.kafkaLag.expected} calls)` : 'no broker',
    ],
    [
      'ack latency in that phase (a Kafka consumer in the load generator) p50 / p95 / p99 / max (ms)',
      '—',
      v.kafkaLagPhase ? pcts(v.kafkaLagPhase.summary.latencyMs, true) : '—',
    ],
    ['relay backlog empty after saturation (ms)', '—', v.relayDrainMs === null ? '—' : String(v.relayDrainMs)],
  ];
  return [
    `# voice-push benchmark — ${r.startedAt}`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; the load generator, the server and Postgres share it.`,
    `Load: push-simulator, concurrency ${r.settings.concurrency}, warm-up ${r.settings.warmupMs / 1000} s, saturation ${r.settings.saturationMs / 1000} s (closed loop), ` +
      `half rate ${r.settings.halfRateMs / 1000} s (open loop at ${r.settings.halfRateShare * 100}% of the measured saturation, at most ${r.settings.openLoopConcurrency} in flight), ` +
      `then ${r.settings.kafkaLagMs / 1000} s more at that rate with a Kafka consumer measuring ack → Kafka; ` +
      `mix ${Object.entries(r.settings.mix).map(([k, w]) => `${k}=${w}`).join(',')}; anomalies ${Object.entries(r.settings.anomalies).map(([k, w]) => `${k}=${w}`).join(',')}; ` +
      `seed ${r.settings.seed}. Kafka: ${r.settings.kafka ?? 'none'}. Each measured phase starts after a sync (the previous phase's writes on disk).`,
    `Postgres: ${Object.entries(r.postgres).map(([k, v]) => `${k} ${v}`).join(', ')}. A measured phase lasts seconds, on a fresh database, after a sync: ` +
      'the disk\'s writeback and the full-page images after each checkpoint mostly fall outside it, where a service running for hours pays for them ' +
      'all the time — for the disk, a best case. Latencies are of the 2xx answers; failed tries are counted apart.',
    '',
    '| metric | ceiling (bare Fastify, parse + 200) | voice-push |',
    '|---|---|---|',
    ...rows.map(([m, a, b]) => `| ${m} | ${a} | ${b} |`),
    `| **voice-push / ceiling throughput** (ceiling: mean of before and after) | | **${r.ratio.throughput}** (${r.ratio.againstBefore} / ${r.ratio.againstAfter} against before / after) |`,
    '',
    `voice-push exit code after SIGTERM: ${r.voicePush.exitCode}.`,
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 1;
});
