/** Distinct causes a window tells apart; more go under "other" (a cause may carry a unique detail). */
const MAX_CAUSES = 5;

/**
 * One warning for a burst of the same kind, not one per occurrence: while Postgres is away every
 * push is answered 503, and a line per push (29,237 lines in 4 s under load, measured) buries the
 * one line that says what happened. The first occurrence is logged as it comes; those that follow
 * within `windowMs` are counted and told in one line when the window ends. A burst can change
 * cause midway (a lost connection, then statement timeouts while it recovers): the count line then
 * names each cause with its count, where the window's first line named only the first.
 */
export class RepeatedWarning {
  private windowStart = Number.NEGATIVE_INFINITY;
  private firstCause: string | undefined;
  private counted = 0;
  private readonly causes = new Map<string, number>();
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly emit: (line: string) => void,
    /** the line for `n` more occurrences in the window */
    private readonly summary: (n: number, windowMs: number) => string,
    private readonly windowMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** `cause`: what made it (an error's message), told apart in the count line when it changes */
  note(line: string, cause?: string): void {
    const now = this.now();
    if (now - this.windowStart >= this.windowMs) {
      this.flush();
      this.windowStart = now;
      this.firstCause = cause;
      this.emit(line);
      return;
    }
    this.counted += 1;
    if (cause !== undefined) {
      const key = this.causes.has(cause) || this.causes.size < MAX_CAUSES ? cause : 'other';
      this.causes.set(key, (this.causes.get(key) ?? 0) + 1);
    }
    this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.windowStart + this.windowMs - now));
    this.timer.unref();
  }

  /** Tells what was counted (at the window's end, or at shutdown). */
  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    const n = this.counted;
    const causes = [...this.causes].sort((a, b) => b[1] - a[1]);
    this.counted = 0;
    this.causes.clear();
    if (n === 0) return;
    const sameCause = causes.length === 0 || (causes.length === 1 && causes[0]![0] === this.firstCause);
    this.emit(sameCause ? this.summary(n, this.windowMs) : `${this.summary(n, this.windowMs)}; by cause: ${causes.map(([c, k]) => `${c} ×${k}`).join(', ')}`);
  }
}
