/**
 * callResult values the generator draws (enumerations.md). The spec gives no frequencies: the
 * everyday outcomes (no answer, busy, rejected, abandoned, rang-not-answered, unreachable,
 * powered off) weigh 10, every other listed code weighs 1, so each code shows up in a long run.
 */
export const ANSWERED = 1;

const COMMON_UNANSWERED = new Set([2, 5, 6, 7, 8, 9, 10, 22]);

/** -1 (other) and 2..37 */
export const UNANSWERED_CALL_RESULTS: readonly number[] = [-1, ...Array.from({ length: 36 }, (_, i) => i + 2)];

export const UNANSWERED_WEIGHTS: ReadonlyArray<readonly [number, number]> = UNANSWERED_CALL_RESULTS.map(
  (code) => [code, COMMON_UNANSWERED.has(code) ? 10 : 1] as const,
);

/** results where the callee never rang: no RINGING status, `ringTime` 0 */
export const NEVER_RANG = new Set([3, 4, 12, 13, 15, 16, 17, 18, 21, 23, 24, 25, 26, 27, 30, 31, 32, 33, 34, 35, 36, 37]);

/** SMS records (cdrType 2): 1001 SENT mostly */
export const SMS_RESULT_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [1001, 90],
  [1002, 2],
  [1003, 3],
  [1004, 2],
  [1005, 2],
  [1006, 1],
];

/** privacy calls that do not connect: binding and reachability problems mostly */
export const PRIVACY_UNANSWERED_WEIGHTS: ReadonlyArray<readonly [number, number]> = [
  [7, 10],
  [8, 5],
  [9, 5],
  [13, 3],
  [22, 5],
  [23, 1],
  [25, 1],
];
