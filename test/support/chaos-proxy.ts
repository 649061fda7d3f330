import net from 'node:net';

/**
 * A TCP proxy on 127.0.0.1 in front of a real server (Postgres, Kafka) for fault tests: the
 * TcpFaultProxy's cut/restore (libs/testing/src/tcp-fault-proxy.ts), plus
 * - latency(ms): every chunk, each way, is held back `ms` before it is forwarded (order kept);
 * - blackhole(): connections are accepted, nothing is forwarded either way, new or open (a
 *   partition: nothing is refused, nothing answers); what was held is delivered on heal(), as TCP
 *   retransmission would, unless the connection was closed meanwhile;
 * - reset(): every open connection is reset (RST), new ones still go through;
 * - silenceOpen(): the connections open now go silent for good, new ones go through: a dropped NAT
 *   or firewall entry, a database moved elsewhere. Their data is dropped both ways, and a side that
 *   closes is not told to the other (a FIN or RST would not cross that path either), until stop();
 * - heal(): back to a plain pipe (restore() too).
 * Loopback only; every timer is per chunk, so nothing loops.
 */
export class ChaosProxy {
  private server: net.Server | undefined;
  private readonly links = new Set<Link>();
  private mode: 'pass' | 'down' = 'pass';
  /** set while blackholed: resolves on heal() */
  private gate: { opened: Promise<void>; open: () => void } | undefined;
  private delayMs = 0;
  port = 0;
  /** connections accepted, for reports */
  accepted = 0;

  constructor(
    private readonly targetHost: string,
    private targetPort: number,
    private readonly listenPort = 0,
  ) {}

  /** Forwards new connections to `port` from now on (for a target started after the proxy, to advertise the proxy's port). */
  pointAt(port: number): void {
    this.targetPort = port;
  }

  /** A started proxy in front of the server of `url` (postgres://…), and `url` through the proxy. */
  static async inFrontOf(url: string): Promise<{ proxy: ChaosProxy; url: string }> {
    const target = new URL(url);
    const proxy = new ChaosProxy(target.hostname, Number(target.port || 5432));
    await proxy.start();
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(proxy.port);
    return { proxy, url: proxied.toString() };
  }

  async start(): Promise<number> {
    this.server = net.createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(this.listenPort, '127.0.0.1', resolve);
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Resets every open connection and refuses new ones until `restore()`. */
  cut(): void {
    this.mode = 'down';
    this.destroyAll(true);
  }

  restore(): void {
    this.heal();
  }

  /** Adds `ms` to every chunk each way (0: none). */
  latency(ms: number): void {
    this.delayMs = Math.max(0, ms);
  }

  /** Accept, never forward; open connections go silent (their data is dropped). */
  blackhole(): void {
    if (this.gate) return;
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gate = { opened, open };
  }

  get blackholed(): boolean {
    return this.gate !== undefined;
  }

  /** Resets (RST) every open connection; new ones go through as before. */
  reset(): void {
    this.destroyAll(true);
  }

  /** The open connections drop all their data from now on, closes included; new ones go through. */
  silenceOpen(): void {
    for (const link of this.links) link.silenced = true;
  }

  heal(): void {
    this.mode = 'pass';
    this.delayMs = 0;
    const gate = this.gate;
    this.gate = undefined;
    gate?.open();
  }

  /** Chunks held back by `latency` so far (either way): the delay was really applied. */
  delayedChunks = 0;

  /** How many connections are open (both sides counted once). */
  get openConnections(): number {
    return this.links.size;
  }

  async stop(): Promise<void> {
    this.heal();
    this.mode = 'down';
    this.destroyAll(true);
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private destroyAll(rst: boolean): void {
    for (const link of [...this.links]) link.close(rst);
    this.links.clear();
  }

  private accept(client: net.Socket): void {
    this.accepted += 1;
    client.on('error', () => undefined);
    if (this.mode === 'down') {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    const link = new Link(client, upstream, () => this.links.delete(link));
    this.links.add(link);
    this.forward(client, upstream, link);
    this.forward(upstream, client, link);
  }

  private forward(from: net.Socket, to: net.Socket, link: Link): void {
    // a chain of promises keeps chunk order through delays and the blackhole's gate
    let chain: Promise<void> = Promise.resolve();
    from.on('data', (chunk: Buffer) => {
      // due at arrival + delay (not after the previous chunk's delay: latency, not a throttle)
      const due = Date.now() + this.delayMs;
      chain = chain.then(async () => {
        const wait = due - Date.now();
        if (wait > 0) {
          this.delayedChunks += 1;
          await new Promise((r) => setTimeout(r, wait));
        }
        // bounded: each heal() opens the gate; a new blackhole() makes a new one
        for (let i = 0; i < 1_000 && this.gate && !link.closed; i++) await this.gate.opened;
        if (!link.closed && !link.silenced) to.write(chunk);
      });
    });
  }
}

class Link {
  closed = false;
  /** data and closes are dropped, both ways, for good (silenceOpen) */
  silenced = false;

  constructor(
    private readonly client: net.Socket,
    private readonly upstream: net.Socket | undefined,
    private readonly onClose: () => void,
  ) {
    for (const socket of [client, upstream]) {
      if (!socket) continue;
      socket.on('error', () => undefined);
      socket.on('close', () => {
        if (!this.silenced) this.close(false);
      });
    }
  }

  close(rst: boolean): void {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.client, this.upstream]) {
      if (!socket || socket.destroyed) continue;
      if (rst) socket.resetAndDestroy();
      else socket.destroy();
    }
    this.onClose();
  }
}
