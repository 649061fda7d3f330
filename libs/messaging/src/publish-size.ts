// How large one publish may be. Pure, so its edges are unit-tested.
import type { OutgoingMessage } from './event-publisher.port.js';

/**
 * The most one publish should carry, by `recordBytes`: a publish is one produce request, and the
 * broker refuses a partition's record batch over `message.max.bytes` (Kafka's default 1048588,
 * which the project's test broker keeps; a topic may lower it with `max.message.bytes`) whole, with
 * MESSAGE_TOO_LARGE — the relay would then send the same rows again for ever. Half of that default
 * leaves room for what `recordBytes` only estimates (the batch header, varints of unusual size), for
 * one message past the bound (each source of a relay batch gives at least one) and for a cluster
 * tuned a little below the default.
 */
export const MAX_PUBLISH_BYTES = 512 * 1024;

// A v2 record's own fields besides its key, value and headers: length, attributes, timestamp and
// offset deltas, key and value lengths, header count, all varints at their widest (5 + 1 + 10 + 5 +
// 5 + 5 + 5). Counted so that a batch of many tiny records is not taken for an empty one.
const RECORD_OVERHEAD_BYTES = 36;
// a header's key and value lengths, varints at their widest
const HEADER_OVERHEAD_BYTES = 10;

/** What a message adds to a record batch, uncompressed (compression only makes it smaller). */
export function recordBytes(m: OutgoingMessage): number {
  let n = RECORD_OVERHEAD_BYTES + Buffer.byteLength(m.key) + Buffer.byteLength(m.value);
  for (const [k, v] of Object.entries(m.headers)) {
    n += HEADER_OVERHEAD_BYTES + Buffer.byteLength(k) + Buffer.byteLength(v);
  }
  return n;
}

/**
 * How many of `messages`, from the first, fit in `maxBytes` (by `recordBytes`), and their bytes; at
 * least one when there is any, so a message bigger than the bound still goes (alone), for the broker
 * to judge.
 */
export function fitWithinBytes(messages: readonly OutgoingMessage[], maxBytes: number): { count: number; bytes: number } {
  let bytes = 0;
  for (let i = 0; i < messages.length; i += 1) {
    const next = recordBytes(messages[i]!);
    if (bytes + next > maxBytes && i > 0) return { count: i, bytes };
    bytes += next;
  }
  return { count: messages.length, bytes };
}
