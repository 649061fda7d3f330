/** Starts a server as a child process, waits until it answers, stops it. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import net from 'node:net';
import { isInterrupted, undoOnInterrupt } from './interrupt-cleanup.js';

export interface ChildService {
  pid: number;
  url: string;
  stop(): Promise<number | null>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

export async function isTcpOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startChild(options: {
  script: string;
  env: Record<string, string>;
  port: number;
  /** answers 2xx when the service is ready */
  readyPath: string;
  logFile: string;
  /** extra Node flags for the child, e.g. --cpu-prof to profile the service under load */
  nodeArgs?: string[];
  timeoutMs?: number;
}): Promise<ChildService> {
  if (isInterrupted()) throw new Error(`not starting ${options.script}: the bench is being stopped`);
  const log = createWriteStream(options.logFile);
  const child: ChildProcess = spawn(process.execPath, [...(options.nodeArgs ?? []), options.script], {
    env: { ...process.env, ...options.env, PORT: String(options.port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${options.port}`;
  const deadline = performance.now() + (options.timeoutMs ?? 60_000);
  let gone = false;
  void exited.then(() => (gone = true));
  // Once: a second SIGTERM more than 2 s after the first makes voice-push exit without its drain,
  // and an interrupt's cleanup and the bench's own `finally` may both ask.
  let stopping: Promise<number | null> | undefined;
  const stop = (): Promise<number | null> =>
    (stopping ??= (async () => {
      forget();
      if (!gone) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
      const code = await exited;
      clearTimeout(timer);
      log.end();
      return code;
    })());
  const forget = undoOnInterrupt(stop);
  for (;;) {
    if (gone) {
      forget();
      throw new Error(`${options.script} exited before it was ready (see ${options.logFile})`);
    }
    if (performance.now() > deadline) {
      forget();
      child.kill('SIGKILL');
      throw new Error(`${options.script} not ready after ${options.timeoutMs ?? 60_000} ms (see ${options.logFile})`);
    }
    try {
      const res = await fetch(url + options.readyPath, { signal: AbortSignal.timeout(1000) });
      if (res.status < 300 || (options.readyPath === '/' && res.status === 404)) break;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    pid: child.pid!,
    url,
    stop,
  };
}
