/** Waits `ms`. */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads until `done` holds or the bounded wait runs out; returns the last value read. */
export async function pollUntil<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let value = await read();
  while (!done(value) && Date.now() < deadline) {
    await sleep(everyMs);
    value = await read();
  }
  return value;
}

/** Whether `check` came to hold within `timeoutMs`; a check that throws has not held yet. */
export function eventually(check: () => Promise<boolean> | boolean, timeoutMs: number, everyMs = 200): Promise<boolean> {
  const attempt = async () => {
    try {
      return await check();
    } catch {
      return false;
    }
  };
  return pollUntil(attempt, (held) => held, timeoutMs, everyMs);
}
