/**
 * push-simulator CLI: see USAGE in cli-options.ts. Exit 0 when every push was acknowledged, 1
 * otherwise, 2 on bad usage, 130 / 143 when interrupted by SIGINT / SIGTERM (after the summary).
 */
import { CliError, parseCli, USAGE } from './cli-options.js';
import { runSimulation } from './simulation.js';
import { REPEATED_SIGNAL_MS, SIGNAL_EXIT_CODES, type StopSignal } from './stop-signals.js';
import { formatSummaryTable } from './summary-format.js';

async function main(): Promise<number> {
  let cli;
  try {
    cli = parseCli(process.argv.slice(2));
  } catch (error) {
    const message = error instanceof CliError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS') ? (error as Error).message : null;
    if (message === null) throw error;
    process.stderr.write(`push-simulator: ${message}\n\n${USAGE}\n`);
    return 2;
  }
  if (cli.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const interrupt = new AbortController();
  let exitOnSignal: number | null = null;
  let firstSignalAt = 0;
  const onSignal = (signal: StopSignal) => {
    if (exitOnSignal !== null) {
      // one Ctrl-C may come twice (npm passes it on, the terminal sends it too): that is not the second
      if (Date.now() - firstSignalAt < REPEATED_SIGNAL_MS) return;
      process.exit(exitOnSignal); // the second Ctrl-C: at once, no summary
    }
    firstSignalAt = Date.now();
    exitOnSignal = SIGNAL_EXIT_CODES[signal];
    process.stderr.write(
      `push-simulator: ${signal}: no new push goes out, waiting retries are abandoned; the tries in flight end within the timeout, then the summary (${signal} again: quit now)\n`,
    );
    interrupt.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const summary = await runSimulation({ ...cli.simulation, interrupt: interrupt.signal });
  process.stdout.write(cli.json ? `${JSON.stringify(summary, null, 2)}\n` : `${formatSummaryTable(summary)}\n`);
  if (exitOnSignal !== null) return exitOnSignal;
  if (summary.openLoop && !summary.openLoop.rateMet) {
    process.stderr.write(
      `push-simulator: the rate fell short: ${summary.openLoop.achievedRate} of ${summary.openLoop.targetRate} new pushes/s (raise --concurrency, or the receiver is the limit)\n`,
    );
  }
  return summary.givenUp + summary.abandoned === 0 ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`push-simulator failed: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  },
);
