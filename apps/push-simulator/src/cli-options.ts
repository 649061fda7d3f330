/** argv → SimulationOptions (node:util parseArgs), with the CLI's defaults and checks. */
import { parseArgs } from 'node:util';
import { parseMix } from './call-mix.js';
import type { SimulationOptions } from './simulation.js';

export const USAGE = `usage: push-simulator --url http://127.0.0.1:3000 (--calls N | --duration 30s) [options]

  --url URL               receiver base URL (POST {url}/v1/push/status and /v1/push/cdr)
  --calls N               number of calls to play
  --duration D            keep starting calls for D (e.g. 30s, 2m, 500ms); with --calls, whichever first
  --rate R                tries per second, 0 = unlimited (closed loop)          [0]
  --concurrency C         most tries in flight                                   [32]
  --time-scale F          multiplies the retry delays 0, 5s, 30s, 5min, 30min     [1]
  --timeout D             a try without an answer after D is a failure           [3s]
  --drain-timeout D       after the last call, wait at most D for pending retries [the whole schedule]
  --seed S                PRNG seed: same seed, same calls and anomalies          [42]
  --run-id ID             part of every callId                                    [random]
  --mix K=W,…             call mix: answered, unanswered, privacy, sms    [answered=0.6,unanswered=0.25,privacy=0.1,sms=0.05]
  --duplicate-rate P      per-call chance one push is sent twice                  [0]
  --reorder-rate P        per-call chance the statuses go out of order            [0]
  --cdr-first-rate P      per-call chance the CDR goes before the statuses        [0]
  --lost-status-rate P    per-call chance some statuses are never sent            [0]
  --missing-cdr-rate P    per-call chance the CDR is never sent                   [0]
  --unit-mixup-rate P     per-call chance of eventTime in ms or CDR times in s    [0]
  --json                  print the summary as JSON on stdout (else a table)
  --quiet                 no progress line on stderr
  --help`;

export interface CliOptions {
  simulation: SimulationOptions;
  json: boolean;
  help: boolean;
}

export class CliError extends Error {}

export function parseDurationMs(text: string, name: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new CliError(`${name}: "${text}" is not a duration (e.g. 500ms, 30s, 2m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

function number(text: string | undefined, name: string, check: (n: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || !check(value)) throw new CliError(`${name}: "${text}" — expected ${expected}`);
  return value;
}

const probability = (text: string | undefined, name: string) => number(text, name, (n) => n >= 0 && n <= 1, 'a probability 0..1') ?? 0;

export function parseCli(argv: string[]): CliOptions {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      url: { type: 'string' },
      calls: { type: 'string' },
      duration: { type: 'string' },
      rate: { type: 'string' },
      concurrency: { type: 'string' },
      'time-scale': { type: 'string' },
      timeout: { type: 'string' },
      'drain-timeout': { type: 'string' },
      seed: { type: 'string' },
      'run-id': { type: 'string' },
      mix: { type: 'string' },
      'duplicate-rate': { type: 'string' },
      'reorder-rate': { type: 'string' },
      'cdr-first-rate': { type: 'string' },
      'lost-status-rate': { type: 'string' },
      'missing-cdr-rate': { type: 'string' },
      'unit-mixup-rate': { type: 'string' },
      json: { type: 'boolean', default: false },
      quiet: { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) return { simulation: { url: '' }, json: false, help: true };
  if (values.url === undefined) throw new CliError('--url is required');
  const calls = number(values.calls, '--calls', (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1');
  const durationMs = values.duration === undefined ? undefined : parseDurationMs(values.duration, '--duration');
  if (calls === undefined && durationMs === undefined) throw new CliError('give --calls or --duration');
  let mix;
  try {
    mix = values.mix === undefined ? undefined : parseMix(values.mix);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  const seedText = values.seed ?? '42';
  const simulation: SimulationOptions = {
    url: values.url,
    ...(calls === undefined ? {} : { calls }),
    ...(durationMs === undefined ? {} : { durationMs }),
    rate: number(values.rate, '--rate', (n) => n >= 0, 'a rate ≥ 0') ?? 0,
    concurrency: number(values.concurrency, '--concurrency', (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1') ?? 32,
    timeScale: number(values['time-scale'], '--time-scale', (n) => n >= 0, 'a factor ≥ 0') ?? 1,
    timeoutMs: values.timeout === undefined ? 3000 : parseDurationMs(values.timeout, '--timeout'),
    ...(values['drain-timeout'] === undefined ? {} : { drainTimeoutMs: parseDurationMs(values['drain-timeout'], '--drain-timeout') }),
    seed: /^-?\d+$/.test(seedText) ? Number(seedText) : seedText,
    ...(values['run-id'] === undefined ? {} : { runId: values['run-id'] }),
    ...(mix === undefined ? {} : { mix }),
    anomalies: {
      duplicate: probability(values['duplicate-rate'], '--duplicate-rate'),
      reorder: probability(values['reorder-rate'], '--reorder-rate'),
      cdrFirst: probability(values['cdr-first-rate'], '--cdr-first-rate'),
      lostStatus: probability(values['lost-status-rate'], '--lost-status-rate'),
      missingCdr: probability(values['missing-cdr-rate'], '--missing-cdr-rate'),
      unitMixup: probability(values['unit-mixup-rate'], '--unit-mixup-rate'),
    },
    progress: !values.quiet,
  };
  return { simulation, json: values.json, help: false };
}
