/** argv → SimulationOptions (node:util parseArgs), with the CLI's defaults and checks. */
import { parseArgs } from 'node:util';
import { parseMix, type CallMix } from './call-mix.js';
import { maxRunIdLength } from './call-flow.generator.js';
import { PLAIN_DECIMAL } from './plain-decimal.js';
import { connectOptions } from './http-transport.js';
import type { SimulationOptions } from './simulation.js';

/** Node's longest timer: a setTimeout past it fires after 1 ms instead (TimeoutOverflowWarning). */
export const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_TIMER_TEXT = "Node's longest timer, 2^31−1 ms (about 24.8 days)";

/**
 * A round cap under the exact bound (MAX_TIMER_MS / 1,800,000 ≈ 1193): past it Node would fire
 * the scaled 30-min retry wait after 1 ms, so the slowest retry would become an immediate one.
 */
export const MAX_TIME_SCALE = 1000;

export const USAGE = `usage: push-simulator --url http://127.0.0.1:3000 (--calls N | --duration 30s) [options]

  --url URL               receiver base URL (POST {url}/v1/push/status and /v1/push/cdr;
                          its query goes with every push, user:password@ as Basic auth)
  --calls N               number of calls to play
  --duration D            keep starting calls for D (e.g. 30s, 2m, 500ms); with --calls, whichever first
  --rate R                new pushes per second (retries keep their own schedule),
                          0 = unlimited (closed loop)                            [0]
  --concurrency C         most tries in flight                                   [32]
  --time-scale F          multiplies the retry delays 0, 5s, 30s, 5min, 30min; ≤ 1000 [1]
  --timeout D             a try without an answer after D is a failure           [3s]
  --drain-timeout D       after the last call, wait at most D for pending retries [the whole schedule]
  --seed S                PRNG seed: same seed, same calls and anomalies          [42]
  --run-id ID             part of every callId (SIM + ID + hex call number ≤ 128 chars) [random]
  --mix K=W,…             call mix: answered, unanswered, privacy, sms    [answered=0.6,unanswered=0.25,privacy=0.1,sms=0.05]
  --duplicate-rate P      per-call chance one push is sent twice                  [0]
  --reorder-rate P        per-call chance the statuses go out of eventTime order  [0]
  --cdr-first-rate P      per-call chance the CDR goes before the statuses        [0]
  --lost-status-rate P    per-call chance some statuses are never sent            [0]
  --missing-cdr-rate P    per-call chance the CDR is never sent                   [0]
  --unit-mixup-rate P     per-call chance of eventTime in ms or CDR times in s    [0]
  --json                  print the summary as JSON on stdout (else a table)
  --quiet                 no progress line on stderr
  --help

A duration D is a number with ms, s, m or h (500ms, 30s, 2m); a bare number is seconds.

Each anomaly rate P is a chance per call of the calls the knob can apply to, so fewer than P of
all calls show it: SMS records have no statuses (no reorder, cdr-first, lost-status or
missing-cdr); lost-status needs a call with 2 statuses or more, and reorder 2 of different seconds.

Exit: 0 every push acknowledged, 1 some given up or abandoned, 2 bad usage. Ctrl-C (SIGINT) or
SIGTERM ends a run early: no new push goes out, waiting retries are abandoned, the tries in flight
end, then the summary, and exit 130 / 143; a second one (2 s or more later: npm and the terminal
may both pass one Ctrl-C on) quits at once.`;

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

// Number() alone would also take 0x10, 1e3, 0b1, " 7 " and Infinity: a typo must not become a value
const PLAIN_INTEGER = /^\d+$/;

function number(text: string | undefined, name: string, check: (n: number) => boolean, expected: string, form = PLAIN_DECIMAL): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!form.test(text) || !check(value)) throw new CliError(`${name}: "${text}" — expected ${expected}`);
  return value;
}

const wholeNumber = (text: string | undefined, name: string) =>
  number(text, name, (n) => Number.isSafeInteger(n) && n >= 1, 'a whole number ≥ 1, in decimal digits', PLAIN_INTEGER);

const probability = (text: string | undefined, name: string) => number(text, name, (n) => n >= 0 && n <= 1, 'a probability 0..1') ?? 0;

function duration(text: string | undefined, name: string, check: (ms: number) => boolean, expected: string): number | undefined {
  if (text === undefined) return undefined;
  const ms = parseDurationMs(text, name);
  if (!check(ms)) throw new CliError(`${name}: "${text}" — expected ${expected}`);
  return ms;
}

/** the rate limiter waits 1000/rate ms between pushes */
const rateFitsTimer = (rate: number) => rate === 0 || 1000 / rate <= MAX_TIMER_MS;

function receiverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new CliError(`--url: "${text}" is not an absolute URL (e.g. http://127.0.0.1:3000)`);
  }
  // new URL takes "localhost:3000" as the scheme "localhost:"
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new CliError(`--url: "${text}" is not an http:// or https:// URL`);
  try {
    connectOptions(url);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
  return text;
}

function mixOption(text: string): CallMix {
  try {
    return parseMix(text);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/**
 * callIds are SIM + run id + the call number in hex (8 digits or more) and the receiver takes at
 * most 128 characters; a run without --calls may reach any call number, so it gets the least room.
 */
function runIdOption(text: string, calls: number | undefined): string {
  const most = maxRunIdLength(calls === undefined ? Number.MAX_SAFE_INTEGER : calls - 1);
  if (text.length > most) {
    throw new CliError(`--run-id: "${text}" has ${text.length} characters — at most ${most} keep this run's callIds within 128 characters`);
  }
  return text;
}

/** a decimal seed stays a number only while it is exact: past 2^53, distinct seeds would collide */
const seedOption = (text: string): number | string => (/^-?\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : text);

export function parseCli(argv: string[]): CliOptions {
  const { values, tokens } = parseArgs({
    args: argv,
    strict: true,
    tokens: true,
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
  // parseArgs keeps the last of a repeated option: a silent surprise in a hand-typed command
  const names = tokens.flatMap((t) => (t.kind === 'option' ? [t.name] : []));
  const repeatedOption = names.find((name, i) => names.indexOf(name) !== i);
  if (repeatedOption !== undefined) throw new CliError(`--${repeatedOption} is given more than once`);
  if (values.url === undefined) throw new CliError('--url is required');
  const url = receiverUrl(values.url);
  const calls = wholeNumber(values.calls, '--calls');
  const durationMs = duration(values.duration, '--duration', (ms) => ms > 0, 'a duration > 0');
  if (calls === undefined && durationMs === undefined) throw new CliError('give --calls or --duration');
  const drainTimeoutMs = duration(values['drain-timeout'], '--drain-timeout', (ms) => ms <= MAX_TIMER_MS, `a duration of at most ${MAX_TIMER_TEXT}`);
  const simulation: SimulationOptions = {
    url,
    ...(calls === undefined ? {} : { calls }),
    ...(durationMs === undefined ? {} : { durationMs }),
    rate: number(values.rate, '--rate', rateFitsTimer, `0 (unlimited) or a rate whose interval, 1000/rate ms, is at most ${MAX_TIMER_TEXT}`) ?? 0,
    concurrency: wholeNumber(values.concurrency, '--concurrency') ?? 32,
    timeScale:
      number(values['time-scale'], '--time-scale', (n) => n <= MAX_TIME_SCALE, `a factor 0..${MAX_TIME_SCALE} — the 30 min retry wait × the factor must not exceed ${MAX_TIMER_TEXT}`) ?? 1,
    timeoutMs: duration(values.timeout, '--timeout', (ms) => ms > 0 && ms <= MAX_TIMER_MS, `a duration > 0, at most ${MAX_TIMER_TEXT}`) ?? 3000,
    ...(drainTimeoutMs === undefined ? {} : { drainTimeoutMs }),
    seed: seedOption(values.seed ?? '42'),
    ...(values['run-id'] === undefined ? {} : { runId: runIdOption(values['run-id'], calls) }),
    ...(values.mix === undefined ? {} : { mix: mixOption(values.mix) }),
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
