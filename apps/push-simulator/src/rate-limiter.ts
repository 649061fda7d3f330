/**
 * Paces tries to a steady `ratePerSecond` (0: no limit). Each caller gets the next free slot.
 * Slots missed while no caller was waiting may be caught up, at most `burst` of them, so an
 * open-loop run keeps its average rate without ever exceeding it by more than `burst` tries.
 * Nothing is missed before the first try: a run starts on its schedule, not with a burst.
 */
import type { Sleep } from './retry-schedule.js';

export class RateLimiter {
  private nextSlot: number | null = null;
  private readonly intervalMs: number;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number,
    private readonly sleep: Sleep,
    private readonly burst = 1,
  ) {
    this.intervalMs = ratePerSecond > 0 ? 1000 / ratePerSecond : 0;
  }

  async acquire(): Promise<void> {
    if (this.intervalMs === 0) return;
    const now = this.now();
    const slot = this.nextSlot === null ? now : Math.max(this.nextSlot, now - (this.burst - 1) * this.intervalMs);
    this.nextSlot = slot + this.intervalMs;
    if (slot - now >= 1) await this.sleep(slot - now);
  }
}
