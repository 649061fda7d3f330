/**
 * Sends one try of a push over HTTP/1.1 with keep-alive (node:http; global fetch is too slow to
 * generate load). A try that has no complete answer within `timeoutMs` is a timeout: its socket
 * is destroyed, as a sender that gave up would do — the receiver may still have stored it.
 */
import http from 'node:http';
import https from 'node:https';
import { performance } from 'node:perf_hooks';
import { urlToHttpOptions } from 'node:url';
import { PUSH_PATHS, type Push } from './push.js';
import type { TryOutcome } from './try-outcome.js';

export interface Transport {
  send(push: Push): Promise<TryOutcome>;
  close(): Promise<void>;
}

export interface HttpTransportOptions {
  /** base URL of the receiver, e.g. http://127.0.0.1:3000 */
  url: string;
  timeoutMs: number;
  maxSockets: number;
}

export class HttpTransport implements Transport {
  private readonly agent: http.Agent;
  private readonly client: typeof http | typeof https;
  private readonly base: URL;
  private readonly target: ConnectOptions;

  constructor(private readonly options: HttpTransportOptions) {
    this.base = new URL(options.url);
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:') throw new Error(`--url: ${options.url} is not http(s)`);
    this.target = connectOptions(this.base);
    this.client = this.base.protocol === 'https:' ? https : http;
    const AgentClass = this.base.protocol === 'https:' ? https.Agent : http.Agent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: options.maxSockets, maxFreeSockets: options.maxSockets, scheduling: 'lifo' });
  }

  send(push: Push): Promise<TryOutcome> {
    const payload = Buffer.from(JSON.stringify(push.body));
    // the receiver's query (a token a gateway wants, say) goes with every push
    const path = this.base.pathname.replace(/\/$/, '') + PUSH_PATHS[push.kind] + this.base.search;
    return new Promise<TryOutcome>((resolve) => {
      const started = performance.now();
      const elapsed = () => performance.now() - started;
      let settled = false;
      let timedOut = false;
      const finish = (outcome: TryOutcome) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(outcome);
      };
      const req = this.client.request({
        agent: this.agent,
        ...this.target,
        path,
        method: 'POST',
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      });
      const timer = setTimeout(() => {
        timedOut = true;
        req.destroy(new Error('timeout'));
        finish({ kind: 'timeout', latencyMs: elapsed() });
      }, this.options.timeoutMs);
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          finish({ kind: 'response', status, latencyMs: elapsed(), duplicate: status < 300 && isDuplicateAnswer(chunks) });
        });
        res.on('error', (err) => finish(timedOut ? { kind: 'timeout', latencyMs: elapsed() } : failure(err, elapsed())));
      });
      req.on('error', (err) => finish(timedOut ? { kind: 'timeout', latencyMs: elapsed() } : failure(err, elapsed())));
      req.end(payload);
    });
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }
}

export type ConnectOptions = Pick<http.RequestOptions, 'protocol' | 'hostname' | 'port' | 'auth'>;

/**
 * Where a push goes, from the receiver's URL, by node:url's own conversion: it takes the brackets
 * off an IPv6 host (`http://[::1]:3000`: node:http looked `[::1]` up as a name, and every try
 * failed, ENOTFOUND) and sends the URL's credentials (`http://user:secret@host/…`) as Basic auth,
 * as curl does. Throws for credentials that are not percent-encoded text (`%zz`), so that a run
 * with them fails at its start rather than at every try.
 */
export function connectOptions(url: URL): ConnectOptions {
  let options: ReturnType<typeof urlToHttpOptions>;
  try {
    options = urlToHttpOptions(url);
  } catch {
    throw new Error(`--url: its user or password is not percent-encoded text`);
  }
  const { protocol, hostname, port, auth } = options;
  return { protocol, hostname, port, auth };
}

const failure = (err: Error, latencyMs: number): TryOutcome => ({
  kind: 'error',
  error: (err as NodeJS.ErrnoException).code ?? err.message,
  latencyMs,
});

/** contract §1: `{"accepted":true,"duplicate":true,…}` acknowledges a push already stored */
function isDuplicateAnswer(chunks: Buffer[]): boolean {
  if (chunks.length === 0) return false;
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
    return typeof body === 'object' && body !== null && (body as { duplicate?: unknown }).duplicate === true;
  } catch {
    return false;
  }
}
