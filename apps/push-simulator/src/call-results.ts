/**
 * callResult values the generator draws (enumerations.md). The spec gives no frequencies: the
 * everyday outcomes (no answer, busy, rejected, abandoned, rang-not-answered, unreachable,
 * powered off) weigh 10, every other listed code weighs 1, so each code shows up in a long run.
 */
export const ANSWERED = 1;

const COMMON_UNANSWERED = new Set([2, 5, 6, 7, 8, 9, 10, 22]);

/**
 * Privacy (AXB) results where the platform stops at the X number: no binding for the dialled X (13),
 * X out of order (16), or the A/B number barred for this direction through X (23–26). So:
 * - only a privacy-number call can have them: a SIP call has no X (it drew them too: 19 SIP calls
 *   of a probe's 1,000-call run);
 * - the platform never dials the called side: such a call has only the calling side's leg (party 1).
 */
export const STOPPED_AT_X: ReadonlySet<number> = new Set([13, 16, 23, 24, 25, 26]);

/** A SIP call's: -1 (other) and 2..37, but those about an X number. */
export const UNANSWERED_CALL_RESULTS: readonly number[] = [-1, ...Array.from({ length: 36 }, (_, i) => i + 2)].filter((code) => !STOPPED_AT_X.has(code));

export const UNANSWERED_WEIGHTS: ReadonlyArray<readonly [number, number]> = UNANSWERED_CALL_RESULTS.map(
  (code) => [code, COMMON_UNANSWERED.has(code) ? 10 : 1] as const,
);

/**
 * Results where the callee's phone never rings: no RINGING status, `ringTime` 0. The call failed
 * before reaching the handset — the callee is off or out of reach (2, 3, 4, 6, 10), busy (8), the
 * network or platform could not carry it (11, 14, 15, 20, 27, 30–32, 36), or it was refused by a
 * rule (12, 13, 16–18, 23–26, 29, 33–35, 37); 21 says so outright.
 * The others ring first: 5 CALLER_ABANDONED (a caller mostly gives up while it rings), 9 REJECTED
 * (only a ringing phone can be rejected), 7, 22, 28 (a ringing phone nobody picks up), and 19
 * TIMEOUT and -1 OTHER, whose names tell nothing either way (28 is the ringing timeout).
 */
export const NEVER_RANG: ReadonlySet<number> = new Set([
  2, 3, 4, 6, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 20, 21, 23, 24, 25, 26, 27, 29, 30, 31, 32, 33, 34, 35, 36, 37,
]);

/** The direction (secretCallType) a result names, for the results that name one: 11 A→B, 10 B→A. */
export const DIRECTION_OF_RESULT: ReadonlyMap<number, 10 | 11> = new Map([
  [23, 11],
  [24, 11],
  [25, 10],
  [26, 10],
]);

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
  [16, 1],
  [22, 5],
  [23, 1],
  [24, 1],
  [25, 1],
  [26, 1],
];
