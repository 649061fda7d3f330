// Fuzzing the two push receivers over HTTP: 100,000 generated bodies (fast-check) — wrong types,
// huge and negative numbers, unicode and control characters, lone surrogates, deep nesting,
// __proto__ / constructor / prototype keys, long arrays, truncated JSON, NUL bytes, random bytes,
// empty and oversized bodies, wrong content types. Every answer must be one of the contract's
// (200, 400, 413, 415 with their bodies), never a 5xx or a dropped connection; memory stays
// bounded; every refused body is in the rejected-push store (rows deduplicated by
// (kind, reason, sha256 of the body), their counts summing to the refusals).
// Runs with the e2e project (jest.config.js: test/**/*.e2e-spec.ts). FUZZ_BODIES / FUZZ_SEED
// override the size and the seed.
import { describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { resolve } from 'node:path';
import { useTestService } from '../support/test-service.js';

const TOTAL = Number(process.env.FUZZ_BODIES ?? 100_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20_261_126);
const CONCURRENCY = 16;
const CHUNK = 2_000;
const RSS_GROWTH_BOUND = 384 * 1024 * 1024;

const SAMPLES = resolve(process.cwd(), '../shared/spec/samples');
const sample = (name: string) => JSON.parse(readFileSync(resolve(SAMPLES, name), 'utf8')) as Record<string, unknown>;
const BASE = { status: sample('status-spec-example.json'), cdr: sample('cdr-spec-example.json') };
type Kind = 'status' | 'cdr';

interface Case {
  kind: Kind;
  contentType: string | undefined;
  body: Buffer;
}

// ---- generators -------------------------------------------------------------------------------

const LONE_SURROGATES = ['\uD800', '\uDBFF', '\uDC00', '\uDFFF', 'a\uD83D', '\uDE00b'];
const controlChars = fc.string({ unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)), maxLength: 20 });
const awkwardString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  controlChars,
  fc.constantFrom(...LONE_SURROGATES, '\u0000', 'a\u0000b', '\uFEFF', '\u202E', '😀', '１２３', '', ' ', '0', '-1', '1e9', '1607588903', 'null', 'true'),
  fc.integer({ min: 120, max: 3_000 }).map((n) => 'x'.repeat(n)),
);
const awkwardNumberText = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }).map(String),
  fc.constantFrom('0', '-0', '-1', '1.5', '1e308', '1e999', '-1e999', '9007199254740993', '-9007199254740993', '1E2', '0.0000001', '123456789012345678901234567890'),
);
/** nested arrays / objects `depth` deep, as text (no recursion anywhere) */
const deepText = fc
  .tuple(fc.integer({ min: 1, max: 300 }), fc.boolean())
  .map(([depth, objects]) => (objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`));
const longArrayText = fc
  .tuple(fc.integer({ min: 0, max: 4_000 }), fc.constantFrom('1', '-1', '"x"', 'null', '1e999', '[]', '{}'))
  .map(([n, item]) => `[${Array(n).fill(item).join(',')}]`);
/** text of a JSON value of some awkward kind */
const valueText: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: awkwardString.map((s) => JSON.stringify(s)), weight: 6 },
  { arbitrary: awkwardNumberText, weight: 5 },
  { arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[1,2,3,4]', '[1.5]', '["1"]', '[[1]]', '[null]'), weight: 3 },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)), weight: 2 },
  { arbitrary: fc.array(fc.integer({ min: -5, max: 40 }), { maxLength: 24 }).map((a) => JSON.stringify(a)), weight: 2 },
  { arbitrary: longArrayText, weight: 1 },
  { arbitrary: deepText, weight: 1 },
);
const specialKey = fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', '__defineGetter__', 'valueOf', '', ' ', '\u0000', '\uD800', 'a'.repeat(300));

/** A push of the kind with some fields replaced, removed, or added (special keys included). */
function mutatedPush(kind: Kind): fc.Arbitrary<string> {
  const base = BASE[kind];
  const keys = Object.keys(base);
  return fc
    .record({
      callId: fc.oneof(fc.uuid().map((u) => `fz-${u}`), fc.constantFrom('fz-fixed-1', 'fz-fixed-2')),
      replace: fc.dictionary(fc.constantFrom(...keys), valueText, { maxKeys: 4 }),
      remove: fc.subarray(keys, { maxLength: 2 }),
      add: fc.array(fc.tuple(fc.oneof(specialKey, fc.string({ maxLength: 10 })), valueText), { maxLength: 3 }),
    })
    .map(({ callId, replace, remove, add }) => {
      const entries: [string, string][] = [];
      for (const key of keys) {
        if (remove.includes(key)) continue;
        const text = Object.prototype.hasOwnProperty.call(replace, key) ? replace[key]! : key === 'callId' ? JSON.stringify(callId) : JSON.stringify(base[key]);
        entries.push([key, text]);
      }
      for (const [key, text] of add) entries.splice(entries.length === 0 ? 0 : key.length % entries.length, 0, [key, text]);
      return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`;
    });
}

const validPushText = (kind: Kind) => fc.uuid().map((u) => JSON.stringify({ ...BASE[kind], callId: `fz-ok-${u}` }));

/** Raw damage to a push's bytes: truncation, NUL and random bytes, whitespace, BOM. */
function damagedPush(kind: Kind): fc.Arbitrary<Buffer> {
  return fc
    .tuple(fc.oneof(validPushText(kind), mutatedPush(kind)), fc.nat(), fc.constantFrom('truncate', 'nul', 'bytes', 'bom', 'pad', 'trailing'), fc.uint8Array({ minLength: 1, maxLength: 8 }))
    .map(([text, at, how, bytes]) => {
      const raw = Buffer.from(text, 'utf8');
      const i = at % (raw.length + 1);
      switch (how) {
        case 'truncate':
          return raw.subarray(0, i);
        case 'nul':
          return Buffer.concat([raw.subarray(0, i), Buffer.from([0]), raw.subarray(i)]);
        case 'bytes':
          return Buffer.concat([raw.subarray(0, i), Buffer.from(bytes), raw.subarray(i)]);
        case 'bom':
          return Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), raw]);
        case 'pad':
          return Buffer.from(`\n\t ${text} \r\n`);
        default:
          return Buffer.from(`${text}${text.slice(0, i % 7)}`);
      }
    });
}

const otherBody: fc.Arbitrary<Buffer> = fc.oneof(
  fc.constant(Buffer.alloc(0)),
  fc.constantFrom(' ', '\n', 'null', 'true', '0', '""', '[]', '{}', '[{}]', '{"__proto__":null}', '{"constructor":{"prototype":{"x":1}}}', '{"a":1}{"b":2}', "{'a':1}", '{"a":NaN}', '{"a":Infinity}', '{"a":undefined}').map((s) => Buffer.from(s)),
  fc.uint8Array({ maxLength: 300 }).map((a) => Buffer.from(a)),
  fc.string({ unit: 'binary', maxLength: 200 }).map((s) => Buffer.from(s, 'utf8')),
  fc.jsonValue({ maxDepth: 4 }).map((v) => Buffer.from(JSON.stringify(v) ?? 'null')),
  deepText.map((t) => Buffer.from(t)),
);

/** Near and past the 64 KiB push limit (the hard limit of 1 MiB is not exceeded). */
function bigBody(kind: Kind): fc.Arbitrary<Buffer> {
  return fc.integer({ min: 60 * 1024, max: 300 * 1024 }).map((size) => {
    const head = JSON.stringify({ ...BASE[kind], callId: `fz-big-${size}` });
    return Buffer.from(`${head.slice(0, -1)},"pad":"${'p'.repeat(Math.max(0, size - head.length - 10))}"}`);
  });
}

const contentType: fc.Arbitrary<string | undefined> = fc.oneof(
  { arbitrary: fc.constantFrom('application/json', 'application/json; charset=utf-8', 'APPLICATION/JSON;charset=UTF-8', 'application/json ; foo=bar'), weight: 17 },
  {
    arbitrary: fc.oneof(
      fc.constantFrom(undefined, '', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/jsonx', 'application/*', '*/*', 'json', ';', 'application/json+xml'),
      fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 }),
    ),
    weight: 3,
  },
);

const kind = fc.constantFrom<Kind>('status', 'cdr');
const fuzzCase: fc.Arbitrary<Case> = kind.chain((k) =>
  fc.record({
    kind: fc.constant(k),
    contentType,
    body: fc.oneof(
      { arbitrary: mutatedPush(k).map((t) => Buffer.from(t, 'utf8')), weight: 10 },
      { arbitrary: validPushText(k).map((t) => Buffer.from(t)), weight: 2 },
      { arbitrary: damagedPush(k), weight: 5 },
      { arbitrary: otherBody, weight: 3 },
      { arbitrary: bigBody(k), weight: 1 },
    ),
  }),
);

// ---- the client --------------------------------------------------------------------------------

const EXPECTED_ERROR: Record<number, string[]> = {
  400: ['INVALID_JSON', 'INVALID_PUSH'],
  413: ['PAYLOAD_TOO_LARGE'],
  415: ['UNSUPPORTED_MEDIA_TYPE'],
};

interface Answer {
  status: number;
  body: Record<string, unknown> | null;
  text: string;
}

function send(agent: http.Agent, url: URL, c: Case): Promise<Answer> {
  return new Promise((done, fail) => {
    const headers: Record<string, string | number> = { 'content-length': c.body.length };
    if (c.contentType !== undefined) headers['content-type'] = c.contentType;
    const request = http.request({ agent, host: url.hostname, port: url.port, method: 'POST', path: `/v1/push/${c.kind}`, headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: Record<string, unknown> | null;
        try {
          body = JSON.parse(text) as Record<string, unknown>;
        } catch {
          body = null;
        }
        done({ status: response.statusCode ?? 0, body, text });
      });
      response.on('error', fail);
    });
    request.setTimeout(30_000, () => request.destroy(new Error('no answer within 30 s')));
    request.on('error', fail);
    request.end(c.body);
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe(`fuzzing the push receivers (${TOTAL} bodies)`, () => {
  const service = useTestService();

  test(
    'every answer is a 2xx or a 4xx of the contract; memory bounded; every refusal kept',
    async () => {
      const url = new URL(service().url);
      const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
      const byStatus = new Map<string, number>();
      const problems: string[] = [];
      /** (kind, reason, sha256) of every refusal: the rejected-push store's dedupe key */
      const refusalKeys = new Set<string>();
      let refusals = 0;
      let sent = 0;
      let rssBefore = 0;
      let rssPeak = 0;
      const started = performance.now();

      for (let chunk = 0; sent < TOTAL; chunk++) {
        const cases = fc.sample(fuzzCase, { numRuns: Math.min(CHUNK, TOTAL - sent), seed: SEED + chunk });
        let next = 0;
        const worker = async () => {
          for (let i = next++; i < cases.length; i = next++) {
            const c = cases[i]!;
            let answer: Answer;
            try {
              answer = await send(agent, url, c);
            } catch (error) {
              problems.push(`transport error ${(error as Error).message} for ${c.kind} ${JSON.stringify(c.contentType)} ${JSON.stringify(c.body.subarray(0, 200).toString('latin1'))}`);
              continue;
            }
            const key = answer.body && typeof answer.body.error === 'string' ? `${answer.status} ${answer.body.error}` : String(answer.status);
            byStatus.set(key, (byStatus.get(key) ?? 0) + 1);
            const ok =
              answer.status === 200
                ? answer.body?.accepted === true && typeof answer.body.duplicate === 'boolean'
                : EXPECTED_ERROR[answer.status]?.includes(answer.body?.error as string) === true && typeof answer.body?.message === 'string';
            if (!ok && problems.length < 50) {
              problems.push(`${answer.status} ${answer.text.slice(0, 300)} for ${c.kind} ${JSON.stringify(c.contentType)} ${JSON.stringify(c.body.subarray(0, 300).toString('latin1'))}`);
            }
            if (answer.status >= 400 && answer.status < 500 && answer.body) {
              refusals++;
              refusalKeys.add(`${c.kind}|${sha256(Buffer.from(`${answer.body.error as string}: ${answer.body.message as string}`))}|${sha256(c.body)}`);
            }
          }
        };
        await Promise.all(Array.from({ length: CONCURRENCY }, worker));
        sent += cases.length;
        const rss = process.memoryUsage().rss;
        if (chunk === 0) rssBefore = rss; // after the warm-up chunk (JIT, pools, caches)
        rssPeak = Math.max(rssPeak, rss);
      }
      agent.destroy();
      const seconds = (performance.now() - started) / 1000;
      const rssAfter = process.memoryUsage().rss;

      const [store] = await service().db.query(`SELECT count(*)::int AS rows, coalesce(sum(count), 0)::int AS total FROM rejected_pushes`);
      const live = await service().get('/health/live');
      const count = (prefix: string) => [...byStatus].filter(([k]) => k.startsWith(prefix)).reduce((n, [, v]) => n + v, 0);
      const figures = {
        seed: SEED,
        bodies: sent,
        seconds: Number(seconds.toFixed(1)),
        perSecond: Math.round(sent / seconds),
        answers: Object.fromEntries([...byStatus].sort()),
        '2xx': count('2'),
        '4xx': count('4'),
        '5xx': count('5'),
        rejectedStore: { rows: store.rows, sumOfCounts: store.total, expectedRows: refusalKeys.size, refusals },
        rssMiB: { afterWarmup: Math.round(rssBefore / 2 ** 20), peak: Math.round(rssPeak / 2 ** 20), end: Math.round(rssAfter / 2 ** 20), growth: Math.round((rssAfter - rssBefore) / 2 ** 20) },
        problems: problems.length,
      };
      console.info(`push fuzz figures ${JSON.stringify(figures, null, 2)}`);

      expect(problems.slice(0, 10)).toEqual([]);
      expect(figures['5xx']).toBe(0);
      expect(figures['2xx'] + figures['4xx']).toBe(TOTAL);
      // the corpus exercises every answer
      for (const k of ['200', '400 INVALID_JSON', '400 INVALID_PUSH', '413 PAYLOAD_TOO_LARGE', '415 UNSUPPORTED_MEDIA_TYPE']) {
        expect([k, count(k)]).toEqual([k, expect.any(Number)]);
        expect(count(k)).toBeGreaterThan(0);
      }
      // every refusal is kept: one row per distinct (kind, reason, body), counts summing to the refusals
      expect(store.total).toBe(refusals);
      expect(store.rows).toBe(refusalKeys.size);
      expect(rssAfter - rssBefore).toBeLessThan(RSS_GROWTH_BOUND);
      expect(live.status).toBe(200);
    },
    30 * 60_000,
  );
});
