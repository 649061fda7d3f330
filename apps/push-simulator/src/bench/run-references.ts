/**
 * `npm run bench:references`: the ladder behind issue 6's ratio target, measured here in one run
 * with the same load generator, concurrency and calls as `npm run bench`. Each rung adds one cost
 * to the one before:
 *   ceiling (bare Fastify: parse + 200) → a Nest route with class-validator → a single-row INSERT
 *   per request → group-committed INSERTs → voice-push without Kafka (when a broker answers) →
 *   voice-push (and the ceiling again at the end).
 * Only the saturation phase (closed loop) is measured. Writes bench/results/references.json and
 * references.md.
 */
import { installInterruptCleanup } from './interrupt-cleanup.js';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { resolve } from 'node:path';
import {
  kafkaAnswers,
  log,
  RESULTS,
  round,
  saturate,
  SETTINGS,
  withCeiling,
  withScratchDatabase,
  withServer,
  withVoicePush,
  type PhaseResult,
} from './bench-phase.js';

interface Rung {
  name: string;
  adds: string;
  saturation: PhaseResult;
}

/** a reference server that writes to Postgres, on a database of its own */
const withDatabaseServer = (script: string, name: string) =>
  withScratchDatabase('voice_push_reference', (db) =>
    withServer(script, `references-${name}.log`, (server) => saturate(name, server, db.backends), { DATABASE_URL: db.url }),
  );

/** voice-push on a database of its own; `kafka`: with its relay publishing to the bench's broker */
const voicePushRung = (kafka: boolean) =>
  withScratchDatabase('voice_push_reference', async (db) => {
    const name = kafka ? 'voice-push' : 'voice-push-no-kafka';
    return (await withVoicePush(db.url, kafka, `references-${name}.log`, (service) => saturate(name, service, db.backends))).result;
  });

async function main(): Promise<void> {
  installInterruptCleanup(log);
  mkdirSync(RESULTS, { recursive: true });
  const startedAt = new Date().toISOString();
  const kafkaUp = await kafkaAnswers();
  const rungs: Rung[] = [];
  const add = (name: string, adds: string, saturation: PhaseResult) => rungs.push({ name, adds, saturation });

  add('ceiling', 'bare Fastify: parse the JSON, answer 200', await withCeiling('references-ceiling.log', (s) => saturate('ceiling', s)));
  add(
    'nest-validation',
    "a Nest route (Fastify adapter) validating with class-validator: voice-push's DTOs through ValidationPipe",
    await withServer('references/nest-validation.server.js', 'references-nest-validation.log', (s) => saturate('nest-validation', s)),
  );
  add('insert-per-request', 'bare Fastify + one single-row INSERT (its own commit) per push', await withDatabaseServer('references/insert-per-request.server.js', 'insert-per-request'));
  add('group-commit-insert', 'bare Fastify + the pushes that wait for a commit inserted together (one INSERT in flight)', await withDatabaseServer('references/group-commit-insert.server.js', 'group-commit-insert'));
  if (kafkaUp) {
    add('voice-push without Kafka', 'the service with KAFKA_BROKERS unset: validation, event log, calls view, dedupe; events wait in Postgres', await voicePushRung(false));
  }
  add('voice-push', `the service as the bench runs it${kafkaUp ? ', with the Kafka relay' : ' (no broker here)'}`, await voicePushRung(kafkaUp));
  add('ceiling-again', 'the ceiling again: the machine drifts', await withCeiling('references-ceiling-again.log', (s) => saturate('ceiling-again', s)));

  const ceiling = (rungs[0]!.saturation.summary.acksPerSecond + rungs.at(-1)!.saturation.summary.acksPerSecond) / 2;
  const results = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    settings: { concurrency: SETTINGS.concurrency, warmupMs: SETTINGS.warmupMs, saturationMs: SETTINGS.saturationMs, seed: SETTINGS.seed, kafka: kafkaUp ? SETTINGS.kafka : null },
    ceilingMean: round(ceiling),
    rungs: rungs.map((r) => ({ ...r, ratio: round(r.saturation.summary.acksPerSecond / ceiling, 3) })),
  };
  writeFileSync(resolve(RESULTS, 'references.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(resolve(RESULTS, 'references.md'), markdown(results));
  process.stdout.write(markdown(results));
}

function markdown(r: {
  startedAt: string;
  machine: { cpus: number; cpuModel: string; node: string };
  settings: { concurrency: number; saturationMs: number };
  ceilingMean: number;
  rungs: Array<Rung & { ratio: number }>;
}): string {
  const pct = (n: number | null) => (n === null ? '—' : String(n));
  return [
    `# The reference ladder — ${r.startedAt}`,
    '',
    `Machine: ${r.machine.cpus} × ${r.machine.cpuModel}, Node ${r.machine.node}; load generator, server and Postgres share it. ` +
      `Closed loop, concurrency ${r.settings.concurrency}, ${r.settings.saturationMs / 1000} s after a warm-up; the calls of \`npm run bench\`. ` +
      `Ratio: against the mean of the two ceiling runs (${r.ceilingMean} /s).`,
    '',
    '| server | per push | 2xx/s | ratio | ack p50 / p99 (ms) | CPU % of a core: server / Postgres / generator |',
    '|---|---|---|---|---|---|',
    ...r.rungs.map((g) => {
      const s = g.saturation;
      const failed = s.summary.sent - s.summary.acknowledged;
      return `| ${g.name} | ${g.adds}${failed > 0 ? ` (${failed} not acknowledged)` : ''} | ${s.summary.acksPerSecond} | ${g.ratio} | ${round(s.summary.latencyMs.p50, 2)} / ${round(s.summary.latencyMs.p99, 2)} | ${s.service.cpuPercent} / ${pct(s.postgresCpuPercent)} / ${s.generatorCpuPercent} |`;
    }),
    '',
  ].join('\n');
}

main().catch((error: unknown) => {
  log(`failed: ${(error as Error)?.stack ?? String(error)}`);
  process.exitCode = 1;
});
