// Soak test of the demo app (issue 10): a steady mixed load for a long time, watching the server
// for growth that a short benchmark cannot see (heap, RSS, handles, latency). Not part of npm test.
//   node --conditions=latchkey-source --import tsx bench/soak.ts                # 10 minutes
//   node --conditions=latchkey-source --import tsx bench/soak.ts --seconds 90 --interval 5
// Options: --minutes N | --seconds N, --interval S (10), --warmup S (10% of the run, 60 to half of
// it), --vus N (32), --anonymous-share F (0.25),
// --store sqlite|memory|file|redis|postgres (sqlite; redis and postgres use REDIS_URL and
// DATABASE_URL), --hasher argon2|fast (argon2: the demo's real argon2id), --out FILE,
// --heap-tolerance %, --rss-tolerance %, --latency-tolerance %, --snapshots DIR (heap snapshots of
// the server at the first judged sample and the last, to diff in Chrome DevTools when the heap grows).
// Prints Markdown for docs/benchmarks.md on stdout (progress on stderr); exits 1 when a verdict
// fails, 2 on bad options.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Recorder, runLoad, type IntervalStats } from './soak-load.js';
import {
  otherHandles,
  serverConnections,
  heapSlope,
  percentile,
  resourceMix,
  table,
  verdicts,
  verdictTable,
  type Row,
} from './soak-report.js';
import type { ServerSample, SoakReply, SoakRequest } from './servers/soak-demo.js';

const STORES = ['sqlite', 'memory', 'file', 'redis', 'postgres'];

function options() {
  const { values } = parseArgs({
    options: {
      minutes: { type: 'string' },
      seconds: { type: 'string' },
      interval: { type: 'string', default: '10' },
      warmup: { type: 'string' },
      vus: { type: 'string', default: '32' },
      'anonymous-share': { type: 'string', default: '0.25' },
      store: { type: 'string', default: 'sqlite' },
      hasher: { type: 'string', default: 'argon2' },
      out: { type: 'string' },
      snapshots: { type: 'string' },
      'heap-tolerance': { type: 'string', default: '10' },
      'rss-tolerance': { type: 'string', default: '25' },
      'latency-tolerance': { type: 'string', default: '50' },
    },
  });
  const number = (name: string, value: string | undefined, min: number): number => {
    const n = Number(value);
    if (!Number.isFinite(n) || n < min)
      throw new Error(`--${name} must be a number >= ${String(min)}`);
    return n;
  };
  if (values.minutes !== undefined && values.seconds !== undefined) {
    throw new Error('give --minutes or --seconds, not both');
  }
  const duration =
    values.seconds !== undefined
      ? number('seconds', values.seconds, 1)
      : number('minutes', values.minutes ?? '10', 1 / 60) * 60;
  const vus = Math.round(number('vus', values.vus, 1));
  const share = number('anonymous-share', values['anonymous-share'], 0);
  if (share > 1) throw new Error('--anonymous-share must be between 0 and 1');
  if (!STORES.includes(values.store))
    throw new Error(`--store must be one of ${STORES.join(', ')}`);
  if (values.hasher !== 'argon2' && values.hasher !== 'fast') {
    throw new Error('--hasher must be argon2 or fast');
  }
  return {
    duration,
    interval: number('interval', values.interval, 1),
    // Long enough for V8's young generation, SQLite's cache and the allocator's arenas to reach
    // their working size (about a minute at a thousand requests per second), never half the run.
    warmup:
      values.warmup === undefined
        ? Math.min(Math.max(60, duration / 10), duration / 2)
        : number('warmup', values.warmup, 0),
    vus,
    anonymous: Math.min(vus, Math.round(vus * share)),
    store: values.store,
    hasher: values.hasher,
    out: values.out,
    snapshots: values.snapshots,
    tolerance: {
      heap: number('heap-tolerance', values['heap-tolerance'], 0),
      rss: number('rss-tolerance', values['rss-tolerance'], 0),
      latency: number('latency-tolerance', values['latency-tolerance'], 0),
    },
  };
}

let opts: ReturnType<typeof options>;
try {
  opts = options();
} catch (error) {
  console.error(`soak: ${(error as Error).message}`);
  process.exit(2);
}

/** The demo in its own process, with a temporary data directory and a sampling channel. */
async function startServer(dataDir: string): Promise<{
  child: ChildProcess;
  url: string;
  sample(snapshot?: string): Promise<ServerSample | null>;
}> {
  const script = fileURLToPath(new URL('./servers/soak-demo.ts', import.meta.url));
  // The same loader and conditions as this process (tsx, latchkey-source), plus a callable gc().
  const child = fork(script, [], {
    execArgv: [...process.execArgv, '--expose-gc'],
    env: {
      ...process.env,
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_STORE: opts.store,
      PORT: '0',
      HOST: '127.0.0.1',
      SOAK_HASHER: opts.hasher,
    },
    stdio: ['ignore', 2, 2, 'ipc'],
  });
  const waiting = new Map<number, (sample: ServerSample) => void>();
  let ids = 0;
  const url = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => {
      reject(new Error(`the demo exited with ${String(code)} before listening`));
    });
    child.on('message', (message: SoakReply) => {
      if (message.type === 'ready') resolve(message.url);
      else waiting.get(message.id)?.(message);
    });
  });
  return {
    child,
    url,
    async sample(snapshot) {
      if (!child.connected) return null;
      const id = ++ids;
      const answer = new Promise<ServerSample>((resolve) => waiting.set(id, resolve));
      child.send({
        type: 'sample',
        id,
        ...(snapshot === undefined ? {} : { snapshot }),
      } satisfies SoakRequest);
      // A server too busy to answer in a minute is itself a finding: the row shows "—".
      const sample = await Promise.race([answer, sleep(60_000, null, { ref: false })]);
      waiting.delete(id);
      return sample;
    },
  };
}

/** Asks the demo to close and waits for the process to end by itself. */
async function stopServer(child: ChildProcess): Promise<{ ok: boolean; detail: string }> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return {
      ok: false,
      detail: `server died during the run (${String(child.exitCode ?? child.signalCode)})`,
    };
  }
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
    }),
  );
  const started = performance.now();
  child.send({ type: 'stop' } satisfies SoakRequest);
  const code = await Promise.race([exited, sleep(10_000, 'timeout' as const, { ref: false })]);
  if (code === 'timeout') {
    child.kill('SIGKILL');
    return { ok: false, detail: 'still running 10 s after close(): open handles keep it alive' };
  }
  const took = `exit ${String(code)} after ${((performance.now() - started) / 1000).toFixed(1)} s`;
  return { ok: code === 0, detail: took };
}

function row(
  index: number,
  at: number,
  seconds: number,
  warmup: boolean,
  stats: IntervalStats,
  clientConnections: number,
  server: ServerSample | null,
): Row {
  const page = stats.latency.page.sort((a, b) => a - b);
  const auth = stats.latency.auth.sort((a, b) => a - b);
  const both = [...page, ...auth].sort((a, b) => a - b);
  let errors5xx = 0;
  for (const [status, n] of stats.statuses) if (status >= 500) errors5xx += n;
  return {
    index,
    at,
    seconds,
    warmup,
    requests: stats.requests,
    p50: percentile(both, 0.5),
    p99Page: percentile(page, 0.99),
    p99Auth: percentile(auth, 0.99),
    latency: { page, auth },
    errors5xx,
    networkErrors: stats.networkErrors,
    unexpected: stats.unexpected - errors5xx - stats.networkErrors,
    clientConnections,
    server,
  };
}

const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-soak-'));
const stop = new AbortController();
let interrupted = false;
process.on('SIGINT', () => {
  // First Ctrl-C: end the run early and still report; the second one kills.
  if (interrupted) process.exit(130);
  interrupted = true;
  stop.abort();
});

const intervals = Math.ceil(opts.duration / opts.interval);
const warmupIntervals = Math.max(1, Math.round(opts.warmup / opts.interval));
const recorder = new Recorder();
const rows: Row[] = [];
const statuses = new Map<number, number>();
let shutdown = { ok: false, detail: 'not reached' };
let server: Awaited<ReturnType<typeof startServer>> | undefined;
try {
  if (opts.snapshots !== undefined) await mkdir(opts.snapshots, { recursive: true });
  server = await startServer(dataDir);
  const { child } = server;
  child.once('exit', () => {
    stop.abort();
  });
  rows.push(row(0, 0, 0, true, recorder.swap(), 0, await server.sample()));
  process.stderr.write(
    `soak: ${String(opts.duration)} s against ${server.url} (${opts.store} store, ${opts.hasher} hasher), ` +
      `${String(opts.vus)} virtual users (${String(opts.anonymous)} anonymous), a row every ${String(opts.interval)} s\n`,
  );
  const started = performance.now();
  const load = runLoad({
    url: server.url,
    users: opts.vus,
    anonymous: opts.anonymous,
    recorder,
    running: () => !stop.signal.aborted,
  });
  for (let i = 1; i <= intervals && !stop.signal.aborted; i++) {
    const end = Math.min(i * opts.interval, opts.duration);
    await sleep(started + end * 1000 - performance.now(), undefined, { signal: stop.signal }).catch(
      () => {},
    );
    const at = (performance.now() - started) / 1000;
    const stats = recorder.swap();
    const connections = recorder.connections;
    for (const [status, n] of stats.statuses) statuses.set(status, (statuses.get(status) ?? 0) + n);
    const seconds = at - (rows.at(-1)?.at ?? 0);
    const snapshot =
      opts.snapshots === undefined || (i !== warmupIntervals + 1 && i !== intervals)
        ? undefined
        : resolve(opts.snapshots, `soak-${i === intervals ? 'last' : 'first'}.heapsnapshot`);
    const sample = await server.sample(snapshot);
    if (sample?.snapshot) process.stderr.write(`  heap snapshot: ${sample.snapshot}\n`);
    const r = row(i, at, seconds, i <= warmupIntervals, stats, connections, sample);
    rows.push(r);
    const s = r.server;
    process.stderr.write(
      `  ${at.toFixed(0).padStart(5)} s  ${String(Math.round(r.requests / seconds)).padStart(5)} req/s  ` +
        `p99 ${r.p99Page?.toFixed(1) ?? '—'} / ${r.p99Auth?.toFixed(1) ?? '—'} ms  ` +
        `heap ${s === null ? '—' : (s.heapUsed / 2 ** 20).toFixed(1)} MiB  rss ${s === null ? '—' : (s.rss / 2 ** 20).toFixed(1)} MiB  ` +
        `connections ${s === null ? '—' : String(serverConnections(s))} (${String(connections)})  handles ${s === null ? '—' : String(otherHandles(s))}  5xx ${String(r.errors5xx)}  unexpected ${String(r.unexpected + r.networkErrors)}\n`,
    );
  }
  stop.abort();
  await load;
  shutdown = await stopServer(child);
} catch (error) {
  console.error(`soak: ${(error as Error).stack ?? String(error)}`);
  if (server !== undefined && server.child.exitCode === null) server.child.kill('SIGKILL');
  process.exitCode = 1;
} finally {
  await rm(dataDir, { recursive: true, force: true });
}

const { verdicts: list, judged } = verdicts(rows, opts.tolerance, shutdown);
const pass = judged && list.every((v) => v.pass) && process.exitCode !== 1;
const ran = rows.at(-1)?.at ?? 0;
const command = [
  'node',
  ...process.execArgv,
  relative(process.cwd(), fileURLToPath(import.meta.url)),
  ...process.argv.slice(2),
].join(' ');
const slope = heapSlope(rows);
const cpu = cpus();
const lines = [
  `## Soak: the demo app under a steady mixed load (issue 10)`,
  '',
  '```sh',
  command,
  '```',
  '',
  `${(ran / 60).toFixed(1)} min${interrupted ? ' (interrupted)' : ''} on ${new Date().toISOString().slice(0, 10)}, ` +
    `Node ${process.version}, ${String(cpu.length)} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}. ` +
    `The demo as \`npm start\` builds it (${opts.store} session store, ` +
    `${opts.hasher === 'argon2' ? 'argon2id m=19 MiB t=2' : 'a fast argon2 (m=64 KiB, t=1)'}, temporary data directory) ` +
    `in its own process; ${String(opts.vus)} virtual users without think time in this one: ` +
    `${String(opts.vus - opts.anonymous)} sign up or log in through the forms with their CSRF tokens, browse the ` +
    `protected pages, revoke their other sessions (sometimes after logging in on a second device) or ` +
    `every tenth time change the password, then log out (or, one time in five, just leave); ` +
    `${String(opts.anonymous)} are anonymous visitors, each on a new connection and address. ` +
    `Every ${String(opts.interval)} s the server runs a full GC and reports its memory and active handles. ` +
    `The first ${String(warmupIntervals * opts.interval)} s are warm-up and not judged.`,
  '',
  table(rows),
  '',
  `Answers by status: ${[...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([s, n]) => `${String(s)}: ${n.toLocaleString('en-US')}`)
    .join(', ')}.`,
  `Handles at the first and last sample: ${resourceMix(rows[1]?.server ?? null)} / ${resourceMix(rows.at(-1)?.server ?? null)}.`,
  ...(slope === null
    ? []
    : [
        `Heap after GC trend over the judged intervals: ${slope >= 0 ? '+' : ''}${slope.toFixed(0)} KiB/min.`,
      ]),
  ...(opts.store === 'memory'
    ? [
        'With the memory store the sessions themselves live in the heap, and abandoned and ' +
          'anonymous ones stay until their idle timeout (30 min), so the heap grows with "live ' +
          'sessions" by design: judge leaks with a store outside the heap.',
      ]
    : []),
  ...(recorder.examples.size === 0
    ? []
    : [`Unexpected answers (first ones): ${[...recorder.examples].join('; ')}.`]),
  '',
  verdictTable(list),
  '',
  judged
    ? `**Verdict: ${pass ? 'pass' : 'FAIL'}.**`
    : `**Verdict: FAIL: too short to judge (needs at least ${String(warmupIntervals + 3)} intervals of ${String(opts.interval)} s).**`,
];
const markdown = `${lines.join('\n')}\n`;
process.stdout.write(markdown);
if (opts.out !== undefined) await writeFile(opts.out, markdown);
process.exitCode = pass ? 0 : 1;
