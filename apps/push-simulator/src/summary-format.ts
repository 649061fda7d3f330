/** The end-of-run summary as a plain text table (the CLI's default; --json prints the object). */
import { formatWorstSeconds } from './latency-recorder.js';
import type { SimulationSummary } from './simulation-stats.js';

export function formatSummaryTable(s: SimulationSummary): string {
  const rows: Array<[string, string]> = [
    ['calls', `${s.calls} (${Object.entries(s.callsByKind).map(([k, n]) => `${k} ${n}`).join(', ')})`],
    ['anomalies', Object.entries(s.anomalies).map(([k, n]) => `${k} ${n}`).join(', ')],
    ...(s.interrupted ? ([['INTERRUPTED', `pushes of started calls never sent: ${s.notSent}`]] as Array<[string, string]>) : []),
    ['sent (pushes)', String(s.sent)],
    ['acknowledged', String(s.acknowledged)],
    ['answered duplicate:true (the receiver had it)', String(s.duplicatesAcknowledged)],
    ['retried (pushes)', `${s.retried} (${s.retries} retry tries)`],
    ['given up', String(s.givenUp)],
    ['abandoned (drain timeout or interrupt)', String(s.abandoned)],
    ['requests (tries)', String(s.requests)],
    ['rejected 4xx (retried)', String(s.rejected4xx)],
    ['5xx / other non-2xx (1xx, 3xx) / timeouts / network errors', `${s.serverErrors5xx} / ${s.otherNon2xx} / ${s.timeouts} / ${s.networkErrors}`],
    ['throughput while the load ran', `${s.acksPerSecond} acks/s, ${s.requestsPerSecond} req/s over ${seconds(s.loadElapsedMs)} (to the last first try)`],
    ...(s.afterLoad.requests > 0
      ? ([['after the load (retries)', `${s.afterLoad.acks} acks of ${s.afterLoad.requests} requests over ${seconds(s.afterLoad.elapsedMs)}`]] as Array<[string, string]>)
      : []),
    ['ack latency ms p50/p95/p99/max', `${s.latencyMs.p50} / ${s.latencyMs.p95} / ${s.latencyMs.p99} / ${s.latencyMs.max} (n=${s.latencyMs.count})`],
    ['slowest seconds of the run', formatWorstSeconds(s.latencyMs.worstSeconds)],
    ['push first try → 2xx ms p50/p95/p99/max', `${s.timeToAckMs.p50} / ${s.timeToAckMs.p95} / ${s.timeToAckMs.p99} / ${s.timeToAckMs.max} (n=${s.timeToAckMs.count}; failed tries and retry waits included)`],
    ...openLoopRows(s),
    ['elapsed', seconds(s.elapsedMs)],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

function openLoopRows(s: SimulationSummary): Array<[string, string]> {
  if (!s.openLoop) return [];
  const { targetRate, achievedRate, rateMet, latencyFromScheduleMs: l } = s.openLoop;
  return [
    ['rate: target / achieved (new pushes/s)', `${targetRate} / ${achievedRate}${rateMet ? '' : '  ** SHORT of the target: the receiver, --concurrency or this machine held it back **'}`],
    ['ack ms from the scheduled send p50/p95/p99/max', `${l.p50} / ${l.p95} / ${l.p99} / ${l.max} (n=${l.count}; first tries, the wait for a free slot included; ${s.openLoop.skippedSlots} slots skipped in stalls)`],
  ];
}
