/**
 * What an interrupted bench (Ctrl-C, SIGTERM) must still undo: the servers it started and its
 * scratch database. Its `finally` blocks do not run when a signal ends the process, and a `kill`
 * of the bench alone left the server it measured running and the database behind.
 */
const pending = new Set<() => Promise<unknown>>();

/** Undoes `undo` if the bench is interrupted; the answer forgets it (once it was undone in order). */
export function undoOnInterrupt(undo: () => Promise<unknown>): () => void {
  pending.add(undo);
  return () => pending.delete(undo);
}

/** For the bench's entry points: on SIGINT or SIGTERM, undo what is pending, newest first, then exit. */
export function installInterruptCleanup(log: (text: string) => void): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      log(`${signal}: stopping the servers and dropping the scratch database before exiting`);
      void (async () => {
        for (const undo of [...pending].reverse()) await undo().catch(() => undefined);
        process.exit(code);
      })();
    });
  }
}
