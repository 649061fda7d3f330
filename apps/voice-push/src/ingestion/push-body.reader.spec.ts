import { describe, expect, test } from '@jest/globals';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { jsonDepthOver, readPushBody, unstorableTextFields } from './push-body.reader.js';
import { storableText } from '../database/storable-text.js';

/** The depth of a parsed JSON value (the reference; recursion is fine on small values). */
function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depth));
}

describe('jsonDepthOver', () => {
  test('agrees with the depth of the parsed value (strings with brackets, escapes included)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 9 }), (value, max) => {
        const text = JSON.stringify(value);
        expect(jsonDepthOver(Buffer.from(text), max)).toBe(depth(value) > max);
      }),
      { numRuns: 2000 },
    );
  });
  test('brackets inside strings do not count', () => {
    expect(jsonDepthOver(Buffer.from('{"a":"[[[[{{{{\\"[[["}'), 1)).toBe(false);
  });
});

describe('unstorableTextFields', () => {
  const fields = (text: string) => unstorableTextFields(Buffer.from(text), JSON.parse(text) as Record<string, unknown>);
  test('finds U+0000 and unpaired surrogates in values and keys, at any depth, by top-level field', () => {
    expect(fields('{"a":"x\\u0000","b":"ok","c":{"d":["\\ud800"]},"e":"\\ud83d\\ude00","\\udc00":1}')).toEqual(['a', 'c', '\\udc00']);
  });
  test('a body without \\u escapes is not walked and has none', () => {
    expect(fields('{"a":"x","b":[1,2]}')).toEqual([]);
  });
  test('a name is shown with what cannot be stored escaped', () => {
    expect(storableText('k\u0000\ud800')).toBe('k\\u0000\\ud800');
  });
});

describe('readPushBody', () => {
  test('a UTF-8 byte order mark before the JSON is ignored (RFC 8259 §8.1); one anywhere else is not', () => {
    const json = Buffer.from('{"callId":"c-1"}');
    expect(readPushBody({ contentType: 'application/json' }, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json]))).toEqual({ ok: true, body: { callId: 'c-1' } });
    expect(readPushBody({ contentType: 'application/json' }, Buffer.from('\uFEFF\uFEFF{"callId":"c-1"}'))).toMatchObject({ ok: false, error: 'INVALID_JSON' });
  });

  test.each(['gzip', 'br', 'identity, gzip', 'x-anything'])('a body sent with Content-Encoding %s → 415, not "not valid UTF-8"', (coding) => {
    const gzipped = gzipSync('{"callId":"c-1"}');
    expect(readPushBody({ contentType: 'application/json', contentEncoding: coding }, gzipped)).toEqual({
      ok: false,
      statusCode: 415,
      error: 'UNSUPPORTED_MEDIA_TYPE',
      message: `Content-Encoding ${JSON.stringify(coding)} is not accepted: send the JSON uncompressed`,
    });
  });

  test.each([undefined, 'identity', ' Identity ', ''])('Content-Encoding %p is the body as it is', (coding) => {
    const json = Buffer.from('{"callId":"c-1"}');
    expect(readPushBody({ contentType: 'application/json', contentEncoding: coding }, json)).toEqual({ ok: true, body: { callId: 'c-1' } });
  });
});
