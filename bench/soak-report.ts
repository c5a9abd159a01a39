import type { ServerSample } from './servers/soak-demo.js';

/** One row of the soak: a sampling interval (index 0 is the idle server before the load). */
export interface Row {
  readonly index: number;
  /** Seconds since the load started, at the end of the interval. */
  readonly at: number;
  readonly seconds: number;
  readonly warmup: boolean;
  readonly requests: number;
  readonly p50: number | null;
  /** p99 of requests that do not hash a password, and of those that do (login, sign-up). */
  readonly p99Page: number | null;
  readonly p99Auth: number | null;
  /** Every latency of the interval, ms, sorted: the verdict pools them per third. */
  readonly latency: { readonly page: readonly number[]; readonly auth: readonly number[] };
  readonly errors5xx: number;
  readonly networkErrors: number;
  readonly unexpected: number;
  /** Connections the load held open when the sample was asked for. */
  readonly clientConnections: number;
  /** Null when the server did not answer the sample in time. */
  readonly server: ServerSample | null;
}

export interface Tolerances {
  /** Allowed growth, percent of the first third's median. */
  readonly heap: number;
  readonly rss: number;
  readonly latency: number;
}

export interface Verdict {
  readonly check: string;
  readonly rule: string;
  readonly first: string;
  readonly last: string;
  readonly pass: boolean;
  readonly note?: string;
}

const MiB = 1024 * 1024;
/** Absolute slack under the percentages: the noise of one sample on an idle-sized process. */
const HEAP_FLOOR = 2 * MiB;
const RSS_FLOOR = 16 * MiB;
const HANDLE_FLOOR = 5;
/** Server sockets beyond the client's open connections: ones closing while the sample is taken. */
const SOCKET_SLACK = 10;
const LATENCY_FLOOR_MS = 5;

export function percentile(sorted: readonly number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? null;
}

function median(values: readonly number[]): number | null {
  return percentile(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

/**
 * Long-lived handles other than the HTTP server's connections: timers, the listening socket, the
 * IPC pipe, the store client's connections. In-flight requests (a socket shutdown, a write, a file
 * or DNS request) are left out: they end by themselves, and how many are in flight at the instant
 * of the sample is chance.
 */
export function otherHandles(sample: ServerSample): number {
  let n = 0;
  for (const [kind, count] of Object.entries(sample.resources)) {
    if (!/Req|ShutdownWrap|WriteWrap/.test(kind)) n += count;
  }
  return n - sample.connections;
}

/** Open connections of the HTTP server (not those of the store's client). */
export function serverConnections(sample: ServerSample): number {
  return sample.connections;
}

const mib = (bytes: number): string => (bytes / MiB).toFixed(1);
const ms = (value: number | null): string => (value === null ? '—' : value.toFixed(1));

type Summary = (part: readonly Row[]) => number | null;

const values = (part: readonly Row[], value: (r: Row) => number | null): number[] =>
  part.map(value).filter((v): v is number => v !== null);
const medianOf =
  (value: (r: Row) => number | null): Summary =>
  (part) =>
    median(values(part, value));
const lowestOf =
  (value: (r: Row) => number | null): Summary =>
  (part) => {
    const found = values(part, value);
    return found.length === 0 ? null : Math.min(...found);
  };
const pooledP99 =
  (kind: 'page' | 'auth'): Summary =>
  (part) =>
    percentile(
      part.flatMap((r) => r.latency[kind]).sort((a, b) => a - b),
      0.99,
    );

/**
 * The verdicts. Only intervals after the warm-up count, split in thirds, and the last third is
 * held against the first: a leak grows with time, so it shows as a difference between the start
 * and the end of a long steady run, whereas a process that has reached its working set stays flat
 * however long it runs. Each third is summarised so that one unlucky sample (a burst of argon2
 * hashes, the machine's other work) cannot decide: heap after GC and handles by their median; RSS
 * by its lowest sample, because RSS also holds memory in transit that the allocator has not yet
 * handed back (each argon2id hash in flight holds 19 MiB on a libuv thread), which only ever adds
 * to it, while a leak raises the floor; latency by the p99 of all requests of the third pooled,
 * since an interval holds too few password hashes for its own p99 to be more than its maximum.
 */
export function verdicts(
  rows: readonly Row[],
  tolerance: Tolerances,
  shutdown: { ok: boolean; detail: string },
): { verdicts: Verdict[]; judged: boolean } {
  const measured = rows.filter((r) => r.index > 0 && !r.warmup);
  const third = Math.floor(measured.length / 3);
  const all = rows.filter((r) => r.index > 0);
  const list: Verdict[] = [];
  const errors = all.reduce((n, r) => n + r.errors5xx + r.networkErrors, 0);
  list.push({
    check: '5xx and network errors',
    rule: 'none in the whole run',
    first: '',
    last: '',
    pass: errors === 0,
    note: String(errors),
  });
  const unexpected = all.reduce((n, r) => n + r.unexpected, 0);
  list.push({
    check: 'answers as documented',
    rule: 'every step got the status docs/demo.md gives it',
    first: '',
    last: '',
    pass: unexpected === 0,
    note: `${String(unexpected)} unexpected`,
  });
  list.push({
    check: 'clean shutdown',
    rule: 'server exits by itself within 10 s of close()',
    first: '',
    last: '',
    pass: shutdown.ok,
    note: shutdown.detail,
  });
  if (third === 0) return { verdicts: list, judged: false };

  const compare = (
    check: string,
    rule: string,
    summary: Summary,
    allowed: (first: number) => number,
    format: (v: number) => string,
  ): void => {
    const first = summary(measured.slice(0, third));
    const last = summary(measured.slice(measured.length - third));
    if (first === null || last === null) {
      list.push({ check, rule, first: '—', last: '—', pass: true, note: 'no data' });
      return;
    }
    const change =
      first === 0
        ? ''
        : ` (${last >= first ? '+' : ''}${(((last - first) / first) * 100).toFixed(1)}%)`;
    list.push({
      check,
      rule,
      first: format(first),
      last: format(last) + change,
      pass: last <= allowed(first),
    });
  };
  const gc = measured.every((r) => r.server?.gc !== false);
  compare(
    gc ? 'heap used after GC' : 'heap used (no --expose-gc!)',
    `median: last ≤ first + max(${String(tolerance.heap)}%, 2 MiB)`,
    medianOf((r) => r.server?.heapUsed ?? null),
    (f) => f + Math.max((f * tolerance.heap) / 100, HEAP_FLOOR),
    (v) => `${mib(v)} MiB`,
  );
  compare(
    'RSS',
    `lowest: last ≤ first + max(${String(tolerance.rss)}%, 16 MiB)`,
    lowestOf((r) => r.server?.rss ?? null),
    (f) => f + Math.max((f * tolerance.rss) / 100, RSS_FLOOR),
    (v) => `${mib(v)} MiB`,
  );
  // Connections come and go with the load, so they are held against what the client has open;
  // everything else (timers, the listening socket, the IPC pipe, the store's connections) must stay
  // flat.
  const excess = (part: readonly Row[]): number =>
    Math.max(
      ...part.map((r) =>
        r.server === null ? 0 : serverConnections(r.server) - r.clientConnections,
      ),
    );
  const firstExcess = excess(measured.slice(0, third));
  const lastExcess = excess(measured.slice(measured.length - third));
  list.push({
    check: 'server connections',
    rule: `at most ${String(SOCKET_SLACK)} more than the client's open connections, every judged sample`,
    first: `${firstExcess >= 0 ? '+' : ''}${String(firstExcess)}`,
    last: `${lastExcess >= 0 ? '+' : ''}${String(lastExcess)}`,
    pass: excess(measured) <= SOCKET_SLACK,
  });
  compare(
    'other active handles',
    'median: last ≤ first + max(25%, 5)',
    medianOf((r) => (r.server === null ? null : otherHandles(r.server))),
    (f) => f + Math.max(f / 4, HANDLE_FLOOR),
    (v) => v.toFixed(0),
  );
  for (const [check, kind] of [
    ['p99 latency, pages', 'page'],
    ['p99 latency, password hashing', 'auth'],
  ] as const) {
    compare(
      check,
      `pooled: last ≤ first × ${String(1 + tolerance.latency / 100)} + 5 ms`,
      pooledP99(kind),
      (f) => f * (1 + tolerance.latency / 100) + LATENCY_FLOOR_MS,
      (v) => `${v.toFixed(1)} ms`,
    );
  }
  return { verdicts: list, judged: true };
}

/** Least-squares slope of heap used after GC over the measured intervals, in KiB per minute. */
export function heapSlope(rows: readonly Row[]): number | null {
  const points = rows
    .filter((r) => r.index > 0 && !r.warmup && r.server !== null)
    .map((r) => [r.at / 60, (r.server?.heapUsed ?? 0) / 1024] as const);
  if (points.length < 2) return null;
  const mx = points.reduce((s, [x]) => s + x, 0) / points.length;
  const my = points.reduce((s, [, y]) => s + y, 0) / points.length;
  const sxy = points.reduce((s, [x, y]) => s + (x - mx) * (y - my), 0);
  const sxx = points.reduce((s, [x]) => s + (x - mx) ** 2, 0);
  return sxx === 0 ? null : sxy / sxx;
}

/** The per-interval table. */
export function table(rows: readonly Row[]): string {
  const lines = [
    '| t (s) | req/s | p50 ms | p99 ms pages | p99 ms hashing | 5xx + net err | unexpected | RSS MiB | heap MiB after GC | external MiB | connections (client) | other handles | live sessions | server CPU | loop p99 ms |',
    '| ----: | ----: | -----: | -----------: | -------------: | ------------: | ---------: | ------: | ----------------: | -----------: | -------------------: | ------------: | ------------: | ---------: | ----------: |',
  ];
  for (const r of rows) {
    const s = r.server;
    const idle = r.index === 0;
    const server = (show: (sample: ServerSample) => string): string => (s === null ? '—' : show(s));
    const cells = [
      idle ? '0 (idle)' : `${r.at.toFixed(0)}${r.warmup ? ' (warm-up)' : ''}`,
      idle ? '—' : Math.round(r.requests / r.seconds).toLocaleString('en-US'),
      ms(r.p50),
      ms(r.p99Page),
      ms(r.p99Auth),
      String(r.errors5xx + r.networkErrors),
      String(r.unexpected),
      server((x) => mib(x.rss)),
      server((x) => mib(x.heapUsed)),
      server((x) => mib(x.external)),
      server((x) => `${String(serverConnections(x))} (${String(r.clientConnections)})`),
      server((x) => String(otherHandles(x))),
      server((x) => x.liveSessions?.toLocaleString('en-US') ?? '—'),
      idle ? '—' : server((x) => `${((x.cpuMs / (r.seconds * 1000)) * 100).toFixed(0)}%`),
      server((x) => x.loopP99Ms.toFixed(1)),
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}

export function verdictTable(list: readonly Verdict[]): string {
  const lines = [
    '| check | rule | first third | last third | result |',
    '| ----- | ---- | ----------: | ---------: | ------ |',
  ];
  for (const v of list) {
    const result = `${v.pass ? 'pass' : '**FAIL**'}${v.note === undefined ? '' : ` (${v.note})`}`;
    lines.push(`| ${v.check} | ${v.rule} | ${v.first} | ${v.last} | ${result} |`);
  }
  return lines.join('\n');
}

/** Handle types of a sample, most common first: "TCPSocketWrap 33, Timeout 2, ...". */
export function resourceMix(sample: ServerSample | null): string {
  if (sample === null) return '—';
  return Object.entries(sample.resources)
    .sort((a, b) => b[1] - a[1])
    .map(([kind, n]) => `${kind} ${String(n)}`)
    .join(', ');
}
