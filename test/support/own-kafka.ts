// A Kafka broker owned by one test file: scripts/kafka/broker.sh with its own KAFKA_STATE_DIR,
// KAFKA_PORT and KAFKA_CONTROLLER_PORT, so killing it (kill9) disturbs no other suite's broker.
// With `advertisedPort` the broker advertises that port (KAFKA_ADVERTISED_PORT) while listening on
// its own: a ChaosProxy listening there keeps every client that bootstraps through it behind it.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC } from '#contracts';
import { topicPartitionCount, type BrokerRedirects } from '../../libs/messaging/src/testing/kafka-test-consumer.js';
import { ChaosProxy } from './chaos-proxy.js';
import { eventually } from './fault-checks.js';
import { freePort } from './service-process.js';

const run = promisify(execFile);
export const BROKER_SH = resolve(process.cwd(), 'scripts/kafka/broker.sh');

export interface OwnKafka {
  /** "127.0.0.1:<port>" */
  brokers: string;
  port: number;
  /** the port in advertised.listeners (= port unless StartOwnKafkaOptions.advertisedPort) */
  advertisedPort: number;
  start(): Promise<void>;
  kill9(): Promise<void>;
  /** stop and delete its state */
  destroy(): Promise<void>;
}

export interface StartOwnKafkaOptions {
  /**
   * Advertise this port instead of the broker's own (e.g. a proxy's, which forwards to `port`).
   * Clients then reach the broker only through whatever listens there.
   */
  advertisedPort?: number;
}

export async function startOwnKafka(options: StartOwnKafkaOptions = {}): Promise<OwnKafka> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vp-faults-kafka-'));
  const taken = new Set(options.advertisedPort === undefined ? [] : [options.advertisedPort]);
  let port = await freePort();
  for (let i = 0; i < 10 && taken.has(port); i++) port = await freePort();
  taken.add(port);
  let controllerPort = await freePort();
  for (let i = 0; i < 10 && taken.has(controllerPort); i++) controllerPort = await freePort();
  const advertisedPort = options.advertisedPort ?? port;
  const env = {
    ...process.env,
    KAFKA_STATE_DIR: stateDir,
    KAFKA_PORT: String(port),
    KAFKA_ADVERTISED_PORT: String(advertisedPort),
    KAFKA_CONTROLLER_PORT: String(controllerPort),
    KAFKA_HEAP_OPTS: '-Xmx384m -Xms128m',
  };
  const broker = (command: string, timeout = 120_000) => run('bash', [BROKER_SH, command], { env, timeout });
  const start = async () => {
    try {
      await broker('start');
    } catch (error) {
      throw new Error(`${BROKER_SH} start failed (needs Java 17 and the cached jars): ${(error as { stderr?: string }).stderr ?? error}`, {
        cause: error,
      });
    }
  };
  await start();
  return {
    brokers: `127.0.0.1:${port}`,
    port,
    advertisedPort,
    start,
    kill9: async () => {
      await broker('kill9', 30_000);
    },
    destroy: async () => {
      await broker('stop', 60_000).catch(() => undefined);
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** Waits until the service has created the contract's two topics on `brokers` (its relay does at start). */
export async function awaitContractTopics(brokers: string, redirects?: BrokerRedirects): Promise<void> {
  const created = await eventually(
    async () =>
      (await Promise.all([CALL_EVENTS_TOPIC, CALLS_FINALIZED_TOPIC].map((t) => topicPartitionCount(t, [brokers], redirects)))).every(
        (n) => n !== undefined,
      ),
    30_000,
  );
  if (!created) throw new Error('the service did not create its topics on the test broker');
}

export interface OwnKafkaBehindProxy {
  kafka: OwnKafka;
  /** in front of the broker: every byte a client that bootstraps at `proxy.port` exchanges crosses it */
  proxy: ChaosProxy;
  /** for a client that must reach the broker directly (the test's consumer): the proxy's address → the broker's */
  redirects: BrokerRedirects;
}

/**
 * A broker of the file's own behind a ChaosProxy: the proxy listening first on a port P the OS gave
 * it (the broker must advertise P; a port only picked here could be taken by an outgoing connection
 * during the broker's start), then the broker on its own port Q, then the proxy pointed at Q.
 */
export async function startOwnKafkaBehindProxy(): Promise<OwnKafkaBehindProxy> {
  const proxy = new ChaosProxy('127.0.0.1', 0);
  const proxyPort = await proxy.start();
  try {
    const kafka = await startOwnKafka({ advertisedPort: proxyPort });
    proxy.pointAt(kafka.port);
    return { kafka, proxy, redirects: { [`127.0.0.1:${proxyPort}`]: kafka.brokers } };
  } catch (error) {
    await proxy.stop();
    throw error;
  }
}
