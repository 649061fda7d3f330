import type { CallSessionState } from '#call-session-domain';

/**
 * Roughly the bytes a call state holds — its pushes and its reconciliation, about their JSON
 * length: what bounds the session cache. A state grows with its pushes, and a push may carry
 * 64 KiB of optional text: 256 of them (the most a call keeps) is 16 MiB, so neither a count of
 * calls nor one of pushes bounds memory. A string counts its length, so text outside Latin-1 (two
 * bytes a character in V8) weighs about half what it holds: an estimate, not a measure. About
 * 0.7 µs for an ordinary call (five statuses and a CDR): no JSON is written.
 */
export function approximateStateBytes(state: CallSessionState): number {
  let bytes = STATE_BYTES + approximateBytes(state.reconciliation);
  for (const key in state.statuses) bytes += approximateBytes(state.statuses[key]!.push);
  for (const key in state.cdrs) for (const version of state.cdrs[key]!.versions) bytes += approximateBytes(version.push);
  return bytes;
}

/** the state's own fields; an object's or an array's brackets; a field's name and separators; a scalar */
const STATE_BYTES = 256;
const CONTAINER_BYTES = 16;
const FIELD_BYTES = 16;
const SCALAR_BYTES = 8;

function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return SCALAR_BYTES;
  let bytes = CONTAINER_BYTES;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) bytes += approximateBytes(item);
    return bytes;
  }
  for (const field of Object.values(value)) bytes += FIELD_BYTES + approximateBytes(field);
  return bytes;
}
