/**
 * One warning for a burst of the same kind, not one per occurrence: while Postgres is away every
 * push is answered 503, and a line per push (29,237 lines in 4 s under load, measured) buries the
 * one line that says what happened. The first occurrence is logged as it comes; those that follow
 * within `windowMs` are counted and told in one line when the window ends.
 */
export class RepeatedWarning {
  private windowStart = Number.NEGATIVE_INFINITY;
  private counted = 0;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (line: string) => void,
    /** the line for `n` more occurrences in the window */
    private readonly summary: (n: number, windowMs: number) => string,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  note(line: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.emit(line);
      return;
    }
    this.counted += 1;
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.windowMs - now));
    this.timer.unref();
  }

  /** Tells what was counted (at the window's end, or at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.counted === 0) return;
    const n = this.counted;
    this.counted = 0;
    this.emit(this.summary(n, this.windowMs));
  }
}
