/**
 * Paces new pushes to a steady `ratePerSecond` (0: no limit): the open loop's schedule. Each
 * caller gets the next free slot, the moment the schedule means it to go, and `acquire` answers
 * that moment so an answer's latency can be counted from it (a push that then waits for a free
 * concurrency slot, or for a late event loop, is late by the schedule: counting from the send
 * would hide that wait — coordinated omission). Slots missed while no caller was waiting are caught
 * up when they are at most `catchUpMs` old (sent at once, counted from their slot); older ones are
 * passed over, whole slots of the schedule, and counted (`skipped`): nothing went out in them, so
 * the stall's wait is not measured. Every slot of the schedule is thus handed out or counted.
 * Nothing is missed before the first try: a run starts on its schedule, not with a burst.
 */
import type { Sleep } from './retry-schedule.js';

export class RateLimiter {
  private nextSlot: number | null = null;
  private readonly intervalMs: number;
  /** slots passed over because nobody asked for them in time (older than the catch-up): nothing went out in them */
  skipped = 0;
  /** the first slot handed out, and the end of the last (the `now()` clock) */
  private firstSlot: number | null = null;
  private handedOutUntil = Number.NEGATIVE_INFINITY;
  /** slots handed out */
  private slots = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly catchUpMs = 0,
  ) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  /**
   * Waits for the caller's slot; answers when it was meant to go (the `now()` clock): its slot, or
   * now when that is earlier. Null without a rate.
   */
  async acquire(): Promise<number | null>;
  /**
   * `endsAt` (the `now()` clock): the schedule ends there; a slot at or after it is not handed out
   * (undefined). `stop`: aborting it ends the wait for a slot at once (undefined; the slot is not counted).
   */
  async acquire(endsAt: number, stop?: AbortSignal): Promise<number | null | undefined>;
  async acquire(endsAt = Infinity, stop?: AbortSignal): Promise<number | null | undefined> {
    if (stop?.aborted) return undefined;
    if (this.intervalMs === 0) return this.now() < endsAt ? null : undefined;
    const now = this.now();
    let slot = this.nextSlot ?? now;
    const earliest = now - this.catchUpMs;
    // Passed over in whole slots, so the next one stays on the schedule's grid: rounding each
    // gap down and going on from `earliest` lost a fraction of a slot at every late call, uncounted.
    const missed = slot < earliest ? Math.ceil((earliest - slot) / this.intervalMs) : 0;
    slot += missed * this.intervalMs;
    if (slot >= endsAt) return undefined;
    this.skipped += missed;
    this.nextSlot = slot + this.intervalMs;
    // not slept for under 1 ms: a push let go that much before its slot is counted from when it went
    if (slot - now < 1) return Math.min(this.handOut(slot), now);
    await this.sleep(slot - now, stop);
    // booked but not handed out: the report counts neither it nor its time
    if (stop?.aborted) return undefined;
    return this.handOut(slot);
  }

  private handOut(slot: number): number {
    this.firstSlot = Math.min(this.firstSlot ?? slot, slot);
    this.handedOutUntil = Math.max(this.handedOutUntil, slot + this.intervalMs);
    this.slots += 1;
    return slot;
  }

  /** What the schedule came to; null without a rate. */
  report(): ScheduleReport | null {
    if (this.intervalMs === 0) return null;
    // from the first slot handed out to the end of the last
    const spanMs = this.firstSlot === null ? 0 : this.handedOutUntil - this.firstSlot;
    return { ratePerSecond: this.ratePerSecond, slots: this.slots, spanMs, skipped: this.skipped };
  }
}

export interface ScheduleReport {
  ratePerSecond: number;
  /** slots handed out (first tries) */
  slots: number;
  /** from the first slot to the end of the last */
  spanMs: number;
  skipped: number;
}
