// Paired runs: one row of a suite against its baseline, alternating, to take the machine's drift
// out of the ratio. On a shared VM throughput moves 10-15% from minute to minute; a ratio of two
// medians measured minutes apart inherits that, a ratio of two runs measured back to back far less.
//   npm run bench:paired -- --row "node:http + Latchkey (memory)" --rounds 10
//   npm run bench:paired -- --suite frameworks --row "Fastify 5 + Latchkey" --threshold 90
//   npm run bench:paired -- --row "node:http + Latchkey (memory)" --same-requests
// Load comes from wrk when it is installed (a C load generator that one core cannot saturate as
// easily as autocannon can at 100k requests/s), autocannon otherwise; the output says which.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { sessionCookie, startServer, type RunningServer } from './lib.js';
import { suites, type BenchTarget } from './suites.js';

const run = promisify(execFile);

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'core' },
    row: { type: 'string' },
    rounds: { type: 'string', default: '10' },
    duration: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    generator: { type: 'string' },
    threshold: { type: 'string', default: '75' },
    // Send the row's session cookie to the baseline too: both servers get the same requests.
    'same-requests': { type: 'boolean', default: false },
  },
});

const suite = suites[values.suite];
const target = suite?.targets.find((t) => t.name === values.row);
const base = suite?.targets.find((t) => t.name === target?.baseline);
if (suite === undefined || target === undefined || base === undefined) {
  const rows = suite?.targets.filter((t) => t.baseline !== undefined).map((t) => `  ${t.name}`);
  console.error(
    `--row must name a row with a baseline in suite "${values.suite}"${rows ? `:\n${rows.join('\n')}` : ''}`,
  );
  process.exit(2);
}
const rounds = Number(values.rounds);
const duration = Number(values.duration);
const connections = Number(values.connections);
/** The ratio (percent of the baseline) whose rounds are counted, e.g. a target's. */
const threshold = Number(values.threshold) / 100;

async function hasWrk(): Promise<boolean> {
  try {
    await run('wrk', ['--version']);
    return true;
  } catch (error) {
    // wrk --version prints its banner and exits 1; only a missing binary is ENOENT.
    return (error as { code?: unknown }).code !== 'ENOENT';
  }
}
const generator = values.generator ?? ((await hasWrk()) ? 'wrk' : 'autocannon');

/** Requests per second of one run. */
async function load(
  url: string,
  headers: Record<string, string>,
  seconds: number,
): Promise<number> {
  if (generator === 'wrk') {
    const args = ['-t1', `-c${connections}`, `-d${seconds}s`];
    for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}: ${value}`);
    const { stdout } = await run('wrk', [...args, url]);
    const match = /Requests\/sec:\s+([\d.]+)/.exec(stdout);
    if (match === null || /Non-2xx|Socket errors/.test(stdout)) {
      throw new Error(`wrk against ${url} failed or saw errors:\n${stdout}`);
    }
    return Number(match[1]);
  }
  const result = await autocannon({ url, connections, duration: seconds, headers });
  if (result.errors + result.timeouts + result.non2xx > 0) {
    throw new Error(`autocannon against ${url} saw errors or non-2xx answers`);
  }
  return result.requests.average;
}

function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] ?? 0)
    : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

async function headersFor(t: BenchTarget, server: RunningServer): Promise<Record<string, string>> {
  return t.bare === true ? {} : { cookie: await sessionCookie(server.url) };
}

const servers = [await startServer(base), await startServer(target)] as const;
try {
  const [baseServer, targetServer] = servers;
  const targetHeaders = await headersFor(target, targetServer);
  const baseHeaders = values['same-requests'] ? targetHeaders : await headersFor(base, baseServer);
  const ratios: Record<'rw' | 'ro', number[]> = { rw: [], ro: [] };
  const rps: Record<'rw' | 'ro', { base: number[]; target: number[] }> = {
    rw: { base: [], target: [] },
    ro: { base: [], target: [] },
  };
  for (const path of ['rw', 'ro'] as const) {
    await load(`${baseServer.url}/${path}`, baseHeaders, 2);
    await load(`${targetServer.url}/${path}`, targetHeaders, 2);
  }
  process.stderr.write(`${target.name} vs ${base.name}, ${generator}: `);
  for (let round = 0; round < rounds; round++) {
    for (const path of ['rw', 'ro'] as const) {
      // Alternate which goes first, so neither always runs on a machine warmed by the other.
      const baseFirst = round % 2 === 0;
      const measureBase = (): Promise<number> =>
        load(`${baseServer.url}/${path}`, baseHeaders, duration);
      const measureTarget = (): Promise<number> =>
        load(`${targetServer.url}/${path}`, targetHeaders, duration);
      const b = baseFirst ? await measureBase() : 0;
      const t = await measureTarget();
      const b2 = baseFirst ? b : await measureBase();
      rps[path].base.push(b2);
      rps[path].target.push(t);
      ratios[path].push(t / b2);
    }
    process.stderr.write('.');
  }
  process.stderr.write('\n');

  const pct = (x: number): string => `${Math.round(100 * x)}%`;
  const k = (x: number): string => `${(x / 1000).toFixed(1)}k`;
  console.log(`\n### ${target.name} vs ${base.name}, paired runs\n`);
  console.log(
    `${rounds} rounds; each round runs the baseline and the row back to back (order alternating), ${duration} s each, ${connections} connections, load from ${generator}${values['same-requests'] ? '; the baseline gets the same requests, session cookie included' : ''}.\n`,
  );
  console.log(
    `| request | median ratio | min | max | rounds at or over ${pct(threshold)} | median req/s (row / baseline) |`,
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const path of ['rw', 'ro'] as const) {
    const r = ratios[path];
    console.log(
      `| ${path === 'rw' ? 'read+write' : 'read-only'} | ${pct(median(r))} | ${pct(Math.min(...r))} | ${pct(Math.max(...r))} | ${r.filter((x) => x >= threshold).length} of ${r.length} | ${k(median(rps[path].target))} / ${k(median(rps[path].base))} |`,
    );
  }
  console.log(`\nPer-round ratios, read+write: ${ratios.rw.map(pct).join(' ')}`);
  console.log(`Per-round ratios, read-only: ${ratios.ro.map(pct).join(' ')}`);
} finally {
  await Promise.all(servers.map((s) => s.stop()));
}
