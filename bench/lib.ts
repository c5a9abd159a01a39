import { spawn, type ChildProcess } from 'node:child_process';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

/**
 * Benchmark harness. Each server under test is a script in bench/servers/ started as its own
 * process, pinned to CPU 0 when the machine has two or more cores; the load generator (this
 * process, started by `npm run bench` under `taskset -c 1`) runs on the other core.
 */

export interface Target {
  /** Label in the results table. */
  readonly name: string;
  /** Script file name in bench/servers/. */
  readonly script: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface RunningServer {
  readonly url: string;
  stop(): Promise<void>;
}

export interface Measurement {
  /** Median requests per second over the runs. */
  readonly rps: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
  readonly non2xx: number;
  readonly runs: readonly number[];
}

export interface LoadOptions {
  readonly path: string;
  readonly duration: number;
  readonly connections: number;
  readonly runs: number;
  readonly warmup: number;
  readonly headers?: Readonly<Record<string, string>>;
}

const serversDir = fileURLToPath(new URL('./servers/', import.meta.url));

/**
 * True when the machine has a second core for the servers. Counted with `cpus()`, which lists every
 * core of the machine: `availableParallelism()` counts only the cores this process may use, which
 * under `taskset -c 1` is one, and a harness that trusted it ran every server on the load
 * generator's own core (the cause of the low, latency-bound figures of the first sittings).
 */
const pin = cpus().length >= 2;
if (pin && availableParallelism() > 1) {
  process.stderr.write(
    'warning: the load generator is not pinned to one core; run the bench under `taskset -c 1` so it does not compete with the server on CPU 0\n',
  );
}

export async function startServer(target: Target): Promise<RunningServer> {
  // Servers import latchkey by name without the source condition: they measure the built dist/.
  const nodeArgs = ['--import', 'tsx', `${serversDir}${target.script}`];
  const child: ChildProcess = spawn(
    pin ? 'taskset' : process.execPath,
    pin ? ['-c', '0', process.execPath, ...nodeArgs] : nodeArgs,
    {
      env: { ...process.env, NODE_ENV: 'production', PORT: '0', ...target.env },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match) resolve(Number(match[1]));
    });
    child.on('exit', (code) => {
      reject(new Error(`${target.script} exited with ${String(code)} before listening`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => {
          resolve();
        });
        child.kill('SIGTERM');
      }),
  };
}

function once(url: string, options: LoadOptions, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: url + options.path,
    connections: options.connections,
    duration,
    headers: { ...options.headers },
  });
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Warms up, then runs the load `runs` times and reports the median. */
export async function measure(url: string, options: LoadOptions): Promise<Measurement> {
  if (options.warmup > 0) await once(url, options, options.warmup);
  const results: autocannon.Result[] = [];
  for (let i = 0; i < options.runs; i++) results.push(await once(url, options, options.duration));
  const rps = results.map((r) => r.requests.average);
  const mid = results[rps.indexOf(median(rps))] ?? results[0];
  return {
    rps: median(rps),
    p50: mid?.latency.p50 ?? 0,
    p99: mid?.latency.p99 ?? 0,
    errors: results.reduce((n, r) => n + r.errors + r.timeouts, 0),
    non2xx: results.reduce((n, r) => n + r.non2xx, 0),
    runs: rps,
  };
}

/**
 * A Cookie header shaped like a Latchkey session's (default name, 43-character token) that no
 * server issued: sent to a bare server, it makes node parse the same request bytes as a session
 * row's requests.
 */
export const SAMPLE_COOKIE = `__Host-sid=${'A'.repeat(43)}`;

/** Makes one request that writes to the session and returns the Cookie header to reuse. */
export async function sessionCookie(url: string, path = '/rw'): Promise<string> {
  const response = await fetch(url + path);
  const cookies = response.headers.getSetCookie().map((line) => line.split(';')[0] ?? '');
  if (cookies.length === 0) throw new Error(`${url}${path} set no cookie`);
  return cookies.join('; ');
}

/**
 * Lost updates: `clients` concurrent clients share one session; each increments its own key
 * `times` times in sequence. Writes to different keys must all survive: returns how many of the
 * `clients * times` increments are missing from the session afterwards.
 */
export async function lostUpdates(
  url: string,
  clients: number,
  times: number,
): Promise<{ expected: number; lost: number }> {
  const cookie = await sessionCookie(url, '/inc?key=seed');
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; i < times; i++) {
        const response = await fetch(`${url}/inc?key=c${c}`, { headers: { cookie } });
        await response.arrayBuffer();
      }
    }),
  );
  const data = (await (await fetch(`${url}/all`, { headers: { cookie } })).json()) as Record<
    string,
    number
  >;
  let counted = 0;
  for (let c = 0; c < clients; c++) counted += Math.min(data[`c${c}`] ?? 0, times);
  return { expected: clients * times, lost: clients * times - counted };
}

export function formatRps(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}

/** Latency percentiles in microseconds from `requests` requests, `concurrency` at a time. */
export async function latency(
  url: string,
  path: string,
  headers: Readonly<Record<string, string>>,
  requests = 5000,
  concurrency = 4,
): Promise<{ p50: number; p99: number }> {
  const { Agent, request } = await import('node:http');
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const samples: number[] = [];
  const one = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const started = process.hrtime.bigint();
      request(url + path, { agent, headers }, (res) => {
        res.resume();
        res.on('end', () => {
          samples.push(Number(process.hrtime.bigint() - started) / 1000);
          resolve();
        });
      })
        .on('error', reject)
        .end();
    });
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next++ < requests) await one();
    }),
  );
  agent.destroy();
  samples.sort((a, b) => a - b);
  const at = (q: number): number => Math.round(samples[Math.floor(q * (samples.length - 1))] ?? 0);
  return { p50: at(0.5), p99: at(0.99) };
}
