import type { CallSessionState } from '#call-session-domain';

/**
 * Roughly the bytes a call state holds, about its pushes' JSON length: what bounds the session
 * cache. A state grows with its pushes, and a push may carry 64 KiB of optional text: 256 of them
 * (the most a call keeps) is 16 MiB, so neither a count of calls nor one of pushes bounds memory.
 * About 0.7 µs for an ordinary call (five statuses and a CDR), read by hand: no JSON written.
 */
export function approximateStateBytes(state: CallSessionState): number {
  let bytes = STATE_BYTES;
  for (const key in state.statuses) bytes += approximatePushBytes(state.statuses[key]!.push);
  for (const key in state.cdrs) for (const version of state.cdrs[key]!.versions) bytes += approximatePushBytes(version.push);
  return bytes;
}

/** the state's own fields, a push fact's and a field's name and value, as JSON would have them */
const STATE_BYTES = 256;
const PUSH_BYTES = 64;
const FIELD_BYTES = 16;
const NUMBER_BYTES = 8;

function approximatePushBytes(push: object): number {
  let bytes = PUSH_BYTES;
  for (const value of Object.values(push) as unknown[]) {
    bytes += FIELD_BYTES;
    if (typeof value === 'string') bytes += value.length;
    else if (Array.isArray(value)) bytes += NUMBER_BYTES * value.length;
    else bytes += NUMBER_BYTES;
  }
  return bytes;
}
