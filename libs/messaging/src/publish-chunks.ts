// How one publish is cut into produce requests the broker will take. Pure, so its edges are unit-tested.
import type { OutgoingMessage } from './event-publisher.port.js';

/**
 * The most a produce request of the publisher carries, by `recordBytes`. The broker refuses a
 * partition's record batch over `message.max.bytes` (Kafka's default 1048588, which the project's
 * test broker keeps; a topic may lower it with `max.message.bytes`) with MESSAGE_TOO_LARGE, and the
 * relay would then resend the same rows for ever. Half of that default leaves room for what
 * `recordBytes` only estimates (the batch header, varints of unusual size) and for a cluster tuned a
 * little below the default, while a relay batch of 1,000 typical envelopes still goes in 2 or 3
 * requests rather than many.
 */
export const MAX_PUBLISH_CHUNK_BYTES = 512 * 1024;

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
 * Cuts `messages` into consecutive runs of at most `maxBytes` each (by `recordBytes`), in the input's
 * order: sent one after the other, the runs keep every key's order. A message bigger than `maxBytes`
 * goes alone in its run, for the broker to judge (its own limit may be higher than `maxBytes`).
 */
export function chunksOfAtMostBytes<T extends OutgoingMessage>(messages: readonly T[], maxBytes: number): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let currentBytes = 0;
  for (const m of messages) {
    const bytes = recordBytes(m);
    if (current.length > 0 && currentBytes + bytes > maxBytes) {
      chunks.push(current);
      current = [];
      currentBytes = 0;
    }
    current.push(m);
    currentBytes += bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}
