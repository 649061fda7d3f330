import { KAFKA_COMPRESSIONS, type KafkaCompression } from '#messaging';
import { MAX_TIMER_MS, parseDuration } from './duration.js';
import {
  checkPushAuthSettings,
  parseAddressList,
  parseIpAllowlist,
  parsePathToken,
  parsePushAuthTokens,
  PUSH_AUTH_MODES,
  type PushAuthMode,
  type PushAuthSettings,
  type PushRateLimitSettings,
} from '../push-auth/push-auth.settings.js';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the service reads from the environment (contract §6), parsed once at start-up. */
export interface AppConfig {
  port: number;
  host: string;
  /** null: start the embedded Postgres under `dataDir` */
  databaseUrl: string | null;
  dataDir: string;
  embeddedPostgresPort: number;
  /** empty: no Kafka, events stay in the outbox */
  kafkaBrokers: string[];
  kafkaTopicPartitions: number;
  /** how the relay compresses batches to Kafka (KAFKA_COMPRESSION, default none) */
  kafkaCompression: KafkaCompression;
  /** null: the admin module refuses every call */
  adminToken: string | null;
  /** null: admin routes are served on `port` */
  adminPort: number | null;
  cdrOverdueAfterMs: number;
  /**
   * call states kept in memory (SESSION_CACHE_SIZE, default 20,000, about 5 KB each), holding 8 KiB
   * of pushes per entry on average at most; 0: every write reads its stream, for instances that
   * share calls without routing a call to one of them
   */
  sessionCacheSize: number;
  logLevel: LogLevel;
  /** how long a graceful shutdown may take before in-flight work is abandoned */
  shutdownTimeoutMs: number;
  /** time a client has to send a whole request (headers and body): a slow body is cut (408) */
  httpRequestTimeoutMs: number;
  /** optional push authentication: signature, IP allow-list, secret path (all off by default) */
  pushAuth: PushAuthSettings;
  /** per-sender rate limit of the push receivers (off by default) */
  pushRateLimit: PushRateLimitSettings;
  /**
   * reverse proxies / load balancers (IPs, CIDRs) whose X-Forwarded-For names the client
   * (TRUSTED_PROXIES); null: the client is the socket's peer and the header is ignored
   */
  trustedProxies: readonly string[] | null;
  /**
   * rejected pushes not seen for this long are deleted (REJECTED_PUSH_RETENTION, default 30d);
   * null (`off`): kept forever
   */
  rejectedPushRetentionMs: number | null;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** Plain decimal digits only: Number() would also take `0x10`, `1e3`, `0b1`, ` 12 `, `+5`. */
const DECIMAL_INTEGER = /^\d+$/;
/** Plain decimal notation (`2`, `2.5`, `.5`): no exponent, hex, sign or `Infinity`. */
const DECIMAL_NUMBER = /^(?:\d+(?:\.\d*)?|\.\d+)$/;
/** Parses plain decimal digits into a safe integer; null for anything else. */
function decimalInteger(raw: string): number | null {
  if (!DECIMAL_INTEGER.test(raw)) return null;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : null;
}

/** A graceful shutdown shorter than this would cut every shutdown short (SHUTDOWN_TIMEOUT). */
const MIN_SHUTDOWN_TIMEOUT_MS = 1000;

const DAY_MS = 86_400_000;

/** One end of a duration setting's range, and why it is there (said in the start-up error). */
interface DurationBound {
  ms: number;
  text: string;
  why: string;
}
/** Node timers: a longer delay fires at once. */
const TIMER_LIMIT: DurationBound = { ms: MAX_TIMER_MS, text: `${Math.floor(MAX_TIMER_MS / 3_600_000)}h`, why: 'a longer timer would fire at once' };
/** REJECTED_PUSH_RETENTION's range: past the upper end, "now minus the retention" leaves the timestamps Postgres can hold. */
const RETENTION_RANGE = {
  min: { ms: 60_000, text: '1m', why: 'a shorter one deletes refusals before anyone can read them; or off' },
  max: { ms: 36_500 * DAY_MS, text: '36500d', why: 'use off to keep them forever' },
  examples: '30d, 12h or 90m',
};

/** Reads and validates the environment; throws one ConfigError listing every bad value. */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const text = (name: string): string | undefined => {
    const value = env[name]?.trim();
    return value === undefined || value === '' ? undefined : value;
  };
  /** `min` 0: the OS picks a free port (PORT, ADMIN_PORT); 1 where a fixed port is needed. */
  const port = (name: string, fallback: number | null, min: 0 | 1 = 0): number | null => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = decimalInteger(raw);
    if (value === null || value < min || value > 65535) {
      problems.push(`${name}=${raw}: expected a port number ${min}-65535 (plain decimal digits)`);
      return fallback;
    }
    return value;
  };
  const wholeNumber = (name: string, fallback: number, min: number): number => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = decimalInteger(raw);
    if (value === null || value < min) {
      problems.push(`${name}=${raw}: expected a whole number ≥ ${min} (plain decimal digits)`);
      return fallback;
    }
    return value;
  };
  const positiveInt = (name: string, fallback: number): number => wholeNumber(name, fallback, 1);
  /** `examples` and `off` (the word that turns the setting off) are said when the value is malformed. */
  const duration = (
    name: string,
    fallback: string,
    range: { min?: DurationBound; max?: DurationBound; examples?: string; off?: string } = {},
  ): number => {
    const raw = text(name) ?? fallback;
    const ms = parseDuration(raw);
    const { min, max, examples = '40m, 2s, 500ms, 1h or 1d', off } = range;
    const problem =
      ms === null
        ? `expected a duration such as ${examples}${off ? `, or ${off}` : ''}`
        : max !== undefined && ms > max.ms
          ? `at most ${max.text} (${max.why})`
          : min !== undefined && ms < min.ms
            ? `at least ${min.text} (${min.why})`
            : null;
    if (problem === null) return ms!;
    problems.push(`${name}=${raw}: ${problem}`);
    return parseDuration(fallback)!;
  };

  const databaseUrl = text('DATABASE_URL') ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL: expected postgres://user[:password]@host[:port]/database');
  }

  const kafkaBrokers = (text('KAFKA_BROKERS') ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
  for (const broker of kafkaBrokers) {
    const match = /^[^\s:]+:(\d{1,5})$/.exec(broker);
    // kafkajs splits a broker at its first ':', so an IPv6 literal cannot be given: name it
    if (!match && broker.startsWith('[')) problems.push(`KAFKA_BROKERS: "${broker}": an IPv6 address cannot be given (the Kafka client reads up to its first ':'); use a host name`);
    else if (!match) problems.push(`KAFKA_BROKERS: "${broker}" is not host:port`);
    else if (Number(match[1]) < 1 || Number(match[1]) > 65535) problems.push(`KAFKA_BROKERS: "${broker}": the port must be 1-65535`);
  }

  const kafkaCompression = (text('KAFKA_COMPRESSION') ?? 'none').toLowerCase() as KafkaCompression;
  if (!KAFKA_COMPRESSIONS.includes(kafkaCompression)) {
    problems.push(`KAFKA_COMPRESSION=${kafkaCompression}: expected one of ${KAFKA_COMPRESSIONS.join(', ')}`);
  }

  const logLevel = (text('LOG_LEVEL') ?? 'info').toLowerCase() as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    problems.push(`LOG_LEVEL=${text('LOG_LEVEL')}: expected one of ${LOG_LEVELS.join(', ')}`);
  }

  const adminToken = text('ADMIN_TOKEN') ?? null;
  if (adminToken !== null && adminToken.length < 16) {
    problems.push('ADMIN_TOKEN: use at least 16 characters');
  } else if (adminToken !== null && !/^[\x21-\x7e]+$/.test(adminToken)) {
    // sent as `Authorization: Bearer <token>`: a space or a character a header cannot carry would
    // make every admin call a 401 with a token that looked set
    problems.push('ADMIN_TOKEN: use printable ASCII characters without spaces');
  }

  const pushAuthMode = (text('PUSH_AUTH_MODE') ?? 'off').toLowerCase() as PushAuthMode;
  if (!PUSH_AUTH_MODES.includes(pushAuthMode)) {
    problems.push(`PUSH_AUTH_MODE=${pushAuthMode}: expected one of ${PUSH_AUTH_MODES.join(', ')}`);
  }
  const pushAuth: PushAuthSettings = {
    mode: PUSH_AUTH_MODES.includes(pushAuthMode) ? pushAuthMode : 'off',
    ...parsePushAuthTokens(text('PUSH_AUTH_TOKENS'), problems),
    maxSkewMs: duration('PUSH_AUTH_MAX_SKEW', '300s'),
    ipAllowlist: parseIpAllowlist(text('PUSH_IP_ALLOWLIST'), problems),
    pathToken: parsePathToken(text('PUSH_PATH_TOKEN'), problems),
  };
  if (PUSH_AUTH_MODES.includes(pushAuthMode)) checkPushAuthSettings(pushAuth, problems);

  const rateText = text('PUSH_RATE_LIMIT');
  let perSecond: number | null = null;
  if (rateText !== undefined && rateText.toLowerCase() !== 'off' && rateText !== '0') {
    const rate = DECIMAL_NUMBER.test(rateText) ? Number(rateText) : NaN;
    if (!Number.isFinite(rate) || rate <= 0) problems.push(`PUSH_RATE_LIMIT=${rateText}: expected pushes per second (> 0), or 0 / off`);
    else perSecond = rate;
  }
  const pushRateLimit: PushRateLimitSettings = {
    perSecond,
    burst: positiveInt('PUSH_RATE_BURST', Math.max(1, Math.ceil(perSecond ?? 1))),
  };
  // as tokens without an auth mode: a burst set with no limit looked like a limit, and was none
  if (perSecond === null && text('PUSH_RATE_BURST') !== undefined) {
    problems.push('PUSH_RATE_BURST is set but PUSH_RATE_LIMIT is not (or is 0 / off): set both, or neither');
  }

  // The store is an operator's tool for recent refusals: a sender that sends nothing but bad pushes
  // would otherwise grow it without end. Its counts outlive the rows (/admin/stats).
  const retentionOff = ['off', '0'].includes(text('REJECTED_PUSH_RETENTION')?.toLowerCase() ?? '');
  const rejectedPushRetentionMs = retentionOff ? null : duration('REJECTED_PUSH_RETENTION', '30d', { ...RETENTION_RANGE, off: 'off to keep them forever' });

  const httpPort = port('PORT', 3000)!;
  const adminPort = port('ADMIN_PORT', null);
  if (adminPort !== null && adminPort !== 0 && adminPort === httpPort) {
    problems.push(`ADMIN_PORT=${adminPort}: the same port as PORT; give the admin API another port, or leave ADMIN_PORT unset to serve /admin on PORT`);
  }

  const config: AppConfig = {
    port: httpPort,
    host: text('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: text('DATA_DIR') ?? './.data',
    // read only where it is used: with DATABASE_URL a leftover value must not stop the start
    embeddedPostgresPort: databaseUrl ? 54329 : port('EMBEDDED_POSTGRES_PORT', 54329, 1)!,
    kafkaBrokers,
    kafkaTopicPartitions: positiveInt('KAFKA_TOPIC_PARTITIONS', 3),
    kafkaCompression: KAFKA_COMPRESSIONS.includes(kafkaCompression) ? kafkaCompression : 'none',
    adminToken,
    adminPort,
    cdrOverdueAfterMs: duration('CDR_OVERDUE_AFTER', '40m', {
      max: { ms: 36_500 * DAY_MS, text: '36500d', why: 'past it, "now minus it" leaves the timestamps Postgres can hold, and every sweep would fail' },
    }),
    sessionCacheSize: wholeNumber('SESSION_CACHE_SIZE', 20_000, 0),
    logLevel: LOG_LEVELS.includes(logLevel) ? logLevel : 'info',
    shutdownTimeoutMs: duration('SHUTDOWN_TIMEOUT', '20s', {
      max: TIMER_LIMIT,
      min: { ms: MIN_SHUTDOWN_TIMEOUT_MS, text: '1s', why: 'a shorter graceful shutdown would time out every time' },
    }),
    httpRequestTimeoutMs: duration('HTTP_REQUEST_TIMEOUT', '10s', {
      max: TIMER_LIMIT,
      min: { ms: 1_000, text: '1s', why: 'a shorter one would answer 408 to honest clients on any hiccup of the network' },
    }),
    pushAuth,
    pushRateLimit,
    trustedProxies: parseAddressList('TRUSTED_PROXIES', text('TRUSTED_PROXIES'), problems),
    rejectedPushRetentionMs,
  };
  if (problems.length > 0) throw new ConfigError(problems);
  return config;
}
