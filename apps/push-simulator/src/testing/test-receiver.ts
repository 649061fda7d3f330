/** A tiny loopback receiver for the simulator's tests: records every request, answers as told. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedRequest {
  path: string;
  body: Record<string, unknown>;
  /** how many times this exact (path, body) has come, this one included */
  attempt: number;
  /** its Authorization header, if any */
  authorization?: string;
}

/** a status and body to answer, or 'hang' to never answer */
export type Answer = { status: number; body?: unknown } | 'hang';

export interface TestReceiver {
  url: string;
  requests: ReceivedRequest[];
  close(): Promise<void>;
}

export async function startTestReceiver(answer: (req: ReceivedRequest) => Answer = () => ({ status: 200 })): Promise<TestReceiver> {
  const requests: ReceivedRequest[] = [];
  const attempts = new Map<string, number>();
  const hanging = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const key = `${req.url}|${text}`;
      const attempt = (attempts.get(key) ?? 0) + 1;
      attempts.set(key, attempt);
      const received: ReceivedRequest = { path: req.url ?? '', body: JSON.parse(text) as Record<string, unknown>, attempt, authorization: req.headers.authorization };
      requests.push(received);
      const a = answer(received);
      if (a === 'hang') {
        hanging.add(res);
        return;
      }
      const body = a.body ?? { accepted: a.status < 300, duplicate: attempt > 1, callId: received.body['callId'] };
      res.writeHead(a.status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        for (const res of hanging) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** a Sleep that waits for nothing and remembers what it was asked */
export function fakeSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms: number) => {
      delays.push(ms);
      await new Promise((resolve) => setImmediate(resolve));
    },
  };
}
