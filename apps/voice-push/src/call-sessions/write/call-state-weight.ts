import type { CallSessionState } from '#call-session-domain';

/**
 * Roughly the bytes a call state holds — its pushes and its reconciliation, about their JSON
 * length: what bounds the session cache. A state grows with its pushes, and a push may carry
 * 64 KiB of optional text: 256 of them (the most a call keeps) is 16 MiB, so neither a count of
 * calls nor one of pushes bounds memory. A string counts its length, so text outside Latin-1 (two
 * bytes a character in V8) weighs about half what it holds: an estimate, not a measure. About
 * 0.8 µs for an ordinary call (five statuses and a CDR): no JSON is written.
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

// for…in and index loops, not Object.values / for…of: 0.8 µs a state instead of 3.1 (a profile
// of the bench put the first version at 1 % of the service's CPU)
function approximateBytes(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (value === null || typeof value !== 'object') return SCALAR_BYTES;
  let bytes = CONTAINER_BYTES;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) bytes += approximateBytes(value[i]);
    return bytes;
  }
  const fields = value as Record<string, unknown>;
  for (const key in fields) bytes += FIELD_BYTES + approximateBytes(fields[key]);
  return bytes;
}
