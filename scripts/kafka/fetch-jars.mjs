#!/usr/bin/env node
// Downloads the jars a list names (scripts/kafka/kafka-<version>.jars) from Maven Central into a
// directory, each checked against its pinned SHA-1: the broker's jars with nothing but Node, so
// `npm test` needs Node and Java only (Maven stays the way to other Kafka versions, broker.sh).
//
//   node scripts/kafka/fetch-jars.mjs <list> <libs dir>
//   MAVEN_CENTRAL  the repository root (default https://repo1.maven.org/maven2), e.g. a mirror
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const [listFile, libsDir] = process.argv.slice(2);
if (!listFile || !libsDir) {
  process.stderr.write('usage: fetch-jars.mjs <list> <libs dir>\n');
  process.exit(2);
}
const central = (process.env.MAVEN_CENTRAL ?? 'https://repo1.maven.org/maven2').replace(/\/+$/, '');
const ATTEMPTS = 3;
const AT_ONCE = 6;

const jars = readFileSync(listFile, 'utf8')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line !== '' && !line.startsWith('#'))
  .map((line) => {
    const [path, sha1] = line.split(/\s+/);
    if (!path || !/^[0-9a-f]{40}$/.test(sha1 ?? '')) throw new Error(`${listFile}: not "<path> <sha1>": ${line}`);
    return { path, sha1 };
  });

const sha1Of = (bytes) => createHash('sha1').update(bytes).digest('hex');

async function fetchJar({ path, sha1 }) {
  const target = join(libsDir, basename(path));
  if (existsSync(target) && sha1Of(readFileSync(target)) === sha1) return false;
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${central}/${path}`, { signal: globalThis.AbortSignal.timeout(120_000) });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const bytes = Buffer.from(await response.arrayBuffer());
      const got = sha1Of(bytes);
      // a wrong checksum is not retried: the list or the repository is wrong, not the network
      if (got !== sha1) throw Object.assign(new Error(`SHA-1 ${got}, expected ${sha1}`), { final: true });
      const part = `${target}.part`;
      writeFileSync(part, bytes);
      renameSync(part, target);
      return true;
    } catch (error) {
      if (error.final || attempt >= ATTEMPTS) throw new Error(`${central}/${path}: ${error.message}`, { cause: error });
      await new Promise((done) => setTimeout(done, 1_000 * attempt));
    }
  }
}

mkdirSync(libsDir, { recursive: true });
const started = Date.now();
let fetched = 0;
const queue = [...jars];
try {
  await Promise.all(
    Array.from({ length: AT_ONCE }, async () => {
      for (let jar = queue.shift(); jar; jar = queue.shift()) if (await fetchJar(jar)) fetched += 1;
    }),
  );
} catch (error) {
  rmSync(join(libsDir, '.complete'), { force: true });
  process.stderr.write(`[kafka] fetch failed: ${error.message}\n`);
  process.exit(1);
}
process.stderr.write(`[kafka] ${jars.length} jars in ${libsDir} (${fetched} downloaded, checksums verified) in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
