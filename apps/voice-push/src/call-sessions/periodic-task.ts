/**
 * `start(intervalMs, task)` runs `task` every `intervalMs`, never two runs at once (a tick that finds one still going is
 * skipped), without keeping the process alive; `stop()` waits for the run in progress, so a
 * graceful shutdown does not close the pool under it. The task logs its own failures.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  start(intervalMs: number, task: () => Promise<unknown>): void {
    this.timer = setInterval(() => {
      this.running ??= task()
        .catch(() => undefined)
        .then(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
