/**
 * Long fuzz runs of the properties in test/fuzz (the same ones `npm test` runs briefly).
 *
 *   npm run fuzz                       until every property has run its count (hours)
 *   npm run fuzz -- --seconds 600      ten minutes, time shared between the properties
 *   npm run fuzz -- --only csrf        properties whose suite or name contains "csrf" (any case)
 *   npm run fuzz -- --only "<name>" --seed <seed> --path <path>    replay a failure
 *
 * Options (or environment variables):
 *   --seconds N    (FUZZ_SECONDS)    stop after N seconds; default: no limit
 *   --runs N       (FUZZ_RUNS)       cases per in-process property; default 10,000,000
 *   --http-runs N  (FUZZ_HTTP_RUNS)  cases per HTTP property; default 100,000
 *
 * Properties take turns in batches of about two seconds, each batch with a fresh random seed
 * (printed), so a time limit shares the time fairly. The first failure stops the run and prints
 * fast-check's report (seed, path, shrunk counterexample) and the command line that replays it.
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runProperty, type FuzzProperty, type RunningSuite } from '../test/fuzz/harness.js';
import { SUITES } from '../test/fuzz/suites.js';

const BATCH_SECONDS = 2;

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string' },
    runs: { type: 'string' },
    'http-runs': { type: 'string' },
    only: { type: 'string' },
    seed: { type: 'string' },
    path: { type: 'string' },
  },
});

function count(flag: string | undefined, env: string | undefined, fallback: number): number {
  const text = flag ?? env;
  if (text === undefined || text === '') return fallback;
  const n = Number(text.replace(/_/g, ''));
  if (!Number.isFinite(n) || n <= 0) throw new Error(`not a positive number: ${text}`);
  return n;
}

const seconds = count(args.seconds, process.env.FUZZ_SECONDS, Infinity);
const targets = {
  pure: count(args.runs, process.env.FUZZ_RUNS, 10_000_000),
  http: count(args['http-runs'], process.env.FUZZ_HTTP_RUNS, 100_000),
};

interface Tally {
  readonly suite: string;
  readonly property: FuzzProperty;
  cases: number;
  ms: number;
  batch: number;
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
const label = (t: Tally): string => `${t.suite} › ${t.property.name}`;

const running: RunningSuite[] = [];
const tallies: Tally[] = [];

async function closeAll(): Promise<void> {
  for (const suite of running.splice(0)) await suite.close();
}

try {
  for (const suite of SUITES) {
    const selected = (p: FuzzProperty): boolean =>
      args.only === undefined ||
      `${suite.name} › ${p.name}`.toLowerCase().includes(args.only.toLowerCase());
    const started = await suite.start();
    running.push(started);
    for (const property of started.properties.filter(selected)) {
      tallies.push({ suite: suite.name, property, cases: 0, ms: 0, batch: 0 });
    }
  }
} catch (error) {
  await closeAll();
  throw error;
}

let stopping = false;
process.on('SIGINT', () => {
  if (stopping) process.exit(130);
  stopping = true;
  console.log('\nstopping after the current batch (Ctrl-C again to quit at once)');
});

const startedAt = Date.now();
const elapsed = (): number => (Date.now() - startedAt) / 1000;
let failed = false;

function report(t: Tally, error: unknown, seed: number | string): void {
  failed = true;
  console.error(`\nFAILED: ${label(t)} (batch seed ${String(seed)})`);
  console.error(error instanceof Error ? error.message : String(error));
  if (error instanceof Error && error.cause !== undefined) console.error(error.cause);
  const match = /seed: (-?\d+), path: "([^"]+)"/.exec(error instanceof Error ? error.message : '');
  if (match !== null) {
    console.error(
      `\nreplay: npm run fuzz -- --only ${JSON.stringify(t.property.name)} --seed ${match[1] ?? ''} --path ${match[2] ?? ''}`,
    );
  }
}

try {
  if (args.seed !== undefined) {
    // Replay: one run of each selected property from the given seed (and path, if any).
    for (const t of tallies) {
      console.log(`replaying ${label(t)} with seed ${args.seed}`);
      try {
        // With a path, fast-check replays that case (and its shrinks); without, a whole run.
        await runProperty(t.property, args.path === undefined ? targets[t.property.kind] : 1, {
          seed: Number(args.seed),
          ...(args.path === undefined ? {} : { path: args.path }),
        });
        console.log('passed');
      } catch (error) {
        report(t, error, args.seed);
        break;
      }
    }
  } else {
    console.log(
      `fuzzing ${String(tallies.length)} properties: up to ${fmt(targets.pure)} cases each in-process, ` +
        `${fmt(targets.http)} over HTTP` +
        (Number.isFinite(seconds) ? `, for at most ${String(seconds)} s` : ''),
    );
    while (!stopping && !failed && elapsed() < seconds) {
      const pending = tallies.filter((t) => t.cases < targets[t.property.kind]);
      if (pending.length === 0) break;
      for (const t of pending) {
        if (stopping || elapsed() >= seconds) break;
        // Batches of about BATCH_SECONDS: a first small one measures the rate.
        const rate = t.cases === 0 ? 0 : t.cases / (t.ms / 1000);
        const first = t.property.kind === 'pure' ? 500 : 20;
        const size = Math.max(
          1,
          Math.min(
            targets[t.property.kind] - t.cases,
            rate === 0 ? first : Math.ceil(rate * BATCH_SECONDS),
          ),
        );
        const seed = randomInt(2 ** 31);
        const begin = performance.now();
        try {
          await runProperty(t.property, size, { seed });
        } catch (error) {
          report(t, error, seed);
          break;
        }
        t.ms += performance.now() - begin;
        t.cases += size;
        t.batch++;
        const total = tallies.reduce((sum, x) => sum + x.cases, 0);
        console.log(
          `[${elapsed().toFixed(0).padStart(5)} s] ${label(t)}: ${fmt(t.cases)} cases, ` +
            `${fmt(t.cases / (t.ms / 1000))}/s (batch ${String(t.batch)}, seed ${String(seed)}); ` +
            `all: ${fmt(total)}`,
        );
      }
    }
  }
} finally {
  await closeAll();
}

console.log(`\n${'cases'.padStart(13)} ${'cases/s'.padStart(9)}  property`);
for (const t of tallies) {
  const rate = t.ms === 0 ? 0 : t.cases / (t.ms / 1000);
  console.log(`${fmt(t.cases).padStart(13)} ${fmt(rate).padStart(9)}  ${label(t)}`);
}
const total = tallies.reduce((sum, t) => sum + t.cases, 0);
console.log(`${fmt(total).padStart(13)} ${''.padStart(9)}  in ${elapsed().toFixed(0)} s`);
process.exitCode = failed ? 1 : 0;
