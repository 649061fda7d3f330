// A Kafka broker owned by one test file: scripts/kafka/broker.sh with its own KAFKA_STATE_DIR,
// KAFKA_PORT and KAFKA_CONTROLLER_PORT, so killing it (kill9) disturbs no other suite's broker.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './service-process.js';

const run = promisify(execFile);
export const BROKER_SH = resolve(process.cwd(), 'scripts/kafka/broker.sh');

export interface OwnKafka {
  /** "127.0.0.1:<port>" */
  brokers: string;
  port: number;
  start(): Promise<void>;
  kill9(): Promise<void>;
  /** stop and delete its state */
  destroy(): Promise<void>;
}

export async function startOwnKafka(): Promise<OwnKafka> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vp-faults-kafka-'));
  const port = await freePort();
  let controllerPort = await freePort();
  for (let i = 0; i < 10 && controllerPort === port; i++) controllerPort = await freePort();
  const env = {
    ...process.env,
    KAFKA_STATE_DIR: stateDir,
    KAFKA_PORT: String(port),
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
