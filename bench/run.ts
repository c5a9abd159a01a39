// Runs the load benchmarks and prints Markdown tables for docs/benchmarks.md.
//   npm run bench                      # builds dist/, then the core suite, 3 runs x 10 s per row
//   npm run bench -- --duration 5 --runs 1 --suite core
//   npm run bench -- --suite core --only "node:http"   # only the rows whose name contains it
import { parseArgs } from 'node:util';
import {
  formatRps,
  lostUpdates,
  measure,
  SAMPLE_COOKIE,
  sessionCookie,
  startServer,
  type Measurement,
} from './lib.js';
import { suites, type BenchTarget } from './suites.js';

const { values } = parseArgs({
  options: {
    suite: { type: 'string', default: 'core' },
    duration: { type: 'string', default: '10' },
    runs: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '50' },
    only: { type: 'string' },
  },
});
const suite = suites[values.suite];
if (suite === undefined) {
  console.error(
    `unknown suite "${values.suite}"; choose one of: ${Object.keys(suites).join(', ')}`,
  );
  process.exit(2);
}
const load = {
  duration: Number(values.duration),
  runs: Number(values.runs),
  warmup: Number(values.warmup),
  connections: Number(values.connections),
};

interface Row {
  target: BenchTarget;
  rw: Measurement;
  ro: Measurement;
}

const rows: Row[] = [];
const lost: { name: string; expected: number; lost: number }[] = [];
const only = values.only;
const targets =
  only === undefined ? suite.targets : suite.targets.filter((t) => t.name.includes(only));
if (targets.length === 0) {
  console.error(`no row of the ${values.suite} suite has "${String(only)}" in its name`);
  process.exit(2);
}
for (const target of targets) {
  process.stderr.write(`${target.name}: `);
  const server = await startServer(target);
  try {
    const headers = target.sampleCookie
      ? { cookie: SAMPLE_COOKIE }
      : target.bare
        ? {}
        : { cookie: await sessionCookie(server.url) };
    const rw = await measure(server.url, { ...load, path: '/rw', headers });
    const ro = await measure(server.url, { ...load, path: '/ro', headers });
    rows.push({ target, rw, ro });
    process.stderr.write(`rw ${formatRps(rw.rps)}/s, ro ${formatRps(ro.rps)}/s`);
    if (target.lostUpdates) {
      const result = await lostUpdates(server.url, 50, 20);
      lost.push({ name: target.name, ...result });
      process.stderr.write(`, lost ${result.lost}/${result.expected}`);
    }
    process.stderr.write('\n');
  } finally {
    await server.stop();
  }
}

const baseline = new Map(rows.map((r) => [r.target.name, r]));
console.log(`\n### ${suite.title}\n`);
console.log(
  `${load.runs} runs x ${load.duration} s, ${load.connections} connections, median requests/s; latency of the median run (ms).\n`,
);
console.log(
  '| server | read+write req/s | vs baseline | p50 / p99 | read-only req/s | vs baseline | errors |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const { target, rw, ro } of rows) {
  const base = target.baseline === undefined ? undefined : baseline.get(target.baseline);
  const ratio = (m: Measurement, b: Measurement | undefined): string =>
    b === undefined ? '—' : `${Math.round((100 * m.rps) / b.rps)}%`;
  console.log(
    `| ${target.name} | ${formatRps(rw.rps)} | ${ratio(rw, base?.rw)} | ${rw.p50} / ${rw.p99} | ${formatRps(ro.rps)} | ${ratio(ro, base?.ro)} | ${rw.errors + ro.errors + rw.non2xx + ro.non2xx} |`,
  );
}
for (const { target, rw, ro } of rows) {
  const same =
    target.sameRequestsAs === undefined ? undefined : baseline.get(target.sameRequestsAs);
  if (same === undefined) continue;
  const pct = (m: Measurement, b: Measurement): string => `${Math.round((100 * m.rps) / b.rps)}%`;
  console.log(
    `\n${target.name} against ${target.sameRequestsAs} (the same requests): read+write ${pct(rw, same.rw)}, read-only ${pct(ro, same.ro)}.`,
  );
}
if (lost.length > 0) {
  console.log(
    '\nLost updates: 50 concurrent clients share one session, each increments its own key 20 times.\n',
  );
  console.log('| server | increments | lost |');
  console.log('| --- | ---: | ---: |');
  for (const l of lost) console.log(`| ${l.name} | ${l.expected} | ${l.lost} |`);
}
