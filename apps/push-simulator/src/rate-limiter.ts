/**
 * Paces new pushes to a steady `ratePerSecond` (0: no limit): the open loop's schedule. Each
 * caller gets the next free slot, the moment the schedule means it to go, and `acquire` answers
 * that moment so an answer's latency can be counted from it (a push that then waits for a free
 * concurrency slot, or for a late event loop, is late by the schedule: counting from the send
 * would hide that wait — coordinated omission). Slots missed while no caller was waiting may be
 * caught up, at most `burst` of them; those before are passed over and counted (`skipped`): their
 * pushes are never sent, so never measured. Nothing is missed before the first try: a run starts
 * on its schedule, not with a burst.
 */
import type { Sleep } from './retry-schedule.js';

export class RateLimiter {
  private nextSlot: number | null = null;
  private readonly intervalMs: number;
  /** slots passed over because nobody asked for them in time (beyond the burst): never sent */
  skipped = 0;
  /** the slots handed out: how many, the first and the last (the `now()` clock) */
  private readonly given = { count: 0, first: 0, last: 0 };

  constructor(
    private readonly ratePerSecond: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly burst = 1,
  ) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  /** Waits for the caller's slot; answers it (the `now()` clock), or null without a rate. */
  async acquire(): Promise<number | null> {
    if (this.intervalMs === 0) return null;
    const now = this.now();
    const earliest = now - (this.burst - 1) * this.intervalMs;
    if (this.nextSlot !== null && this.nextSlot < earliest) this.skipped += Math.floor((earliest - this.nextSlot) / this.intervalMs);
    const slot = this.nextSlot === null ? now : Math.max(this.nextSlot, earliest);
    this.nextSlot = slot + this.intervalMs;
    if (this.given.count === 0) this.given.first = slot;
    this.given.last = slot;
    this.given.count += 1;
    if (slot - now >= 1) await this.sleep(slot - now);
    return slot;
  }

  /** What the schedule came to; null without a rate. */
  report(): ScheduleReport | null {
    if (this.intervalMs === 0) return null;
    // n slots at the rate span n - 1 intervals, and the last one its own
    const spanMs = this.given.count > 0 ? this.given.last - this.given.first + this.intervalMs : 0;
    return { ratePerSecond: this.ratePerSecond, slots: this.given.count, spanMs, skipped: this.skipped };
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
