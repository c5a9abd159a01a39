/**
 * Login benchmark with the real argon2id parameters (m=19 MiB, t=2, p=1):
 * 1. event-loop delay p99 while `concurrency` logins run at once (target: under 20 ms, because
 *    hashing runs on libuv's thread pool, never on the event loop);
 * 2. successful logins per second, and per core of the thread pool that does the hashing;
 * 3. mean time of an unknown-user failure versus a wrong-password failure (SEC-52: should be
 *    about equal, since both verify one hash).
 *
 * Run: node --conditions=latchkey-source --import tsx bench/auth.ts [--concurrency 50] [--seconds 5] [--samples 20]
 * CPU heavy: run it on a quiet machine.
 */
import { availableParallelism } from 'node:os';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createSessions } from '../src/core/manager.js';
import { memoryStore } from '../src/stores/memory.js';
import { createAuth } from '../src/auth/create-auth.js';
import { argon2Hasher } from '../src/auth/password.js';
import { memoryUsers } from '../src/auth/users-memory.js';

const { values } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '5' },
    samples: { type: 'string', default: '20' },
  },
});
const concurrency = Number(values.concurrency);
const seconds = Number(values.seconds);
const samples = Number(values.samples);

const PASSWORD = 'correct horse battery staple';
const hasher = argon2Hasher();
const sessions = createSessions({ store: memoryStore() });
const users = memoryUsers();
// Throttling off: the benchmark fails on purpose, many times, from one "client".
const auth = createAuth({
  sessions,
  users,
  hasher,
  secret: 'benchmark-secret-benchmark-secret!!',
  throttle: false,
});
await users.create('bench@example.com', await hasher.hash(PASSWORD));

function attempt(login: string, password: string) {
  const session = sessions.fromRequest({ cookie: undefined, ip: '127.0.0.1', userAgent: 'bench' });
  return auth.login(session, { login, password });
}

// Warm up: the dummy hash, the JIT, the thread pool.
await Promise.all([
  attempt('bench@example.com', PASSWORD),
  attempt('nobody@example.com', PASSWORD),
]);

// 1. Event-loop delay while `concurrency` logins run concurrently.
const histogram = monitorEventLoopDelay({ resolution: 1 });
histogram.enable();
const burstStart = performance.now();
const burst = await Promise.all(
  Array.from({ length: concurrency }, () => attempt('bench@example.com', PASSWORD)),
);
const burstMs = performance.now() - burstStart;
histogram.disable();
if (!burst.every((r) => r.ok)) throw new Error('a benchmark login failed');

// 2. Throughput: keep `concurrency` logins in flight for `seconds`.
let done = 0;
const deadline = performance.now() + seconds * 1000;
const started = performance.now();
await Promise.all(
  Array.from({ length: concurrency }, async () => {
    while (performance.now() < deadline) {
      await attempt('bench@example.com', PASSWORD);
      done++;
    }
  }),
);
const perSecond = done / ((performance.now() - started) / 1000);
const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
const cores = Math.min(availableParallelism(), threads);

// 3. Unknown user versus wrong password, interleaved, one at a time.
const unknown: number[] = [];
const wrong: number[] = [];
for (let i = 0; i < samples; i++) {
  for (const [list, login] of [
    [unknown, `ghost${i}@example.com`],
    [wrong, 'bench@example.com'],
  ] as const) {
    const t = performance.now();
    const result = await attempt(login, 'not the password');
    list.push(performance.now() - t);
    if (result.ok) throw new Error('a wrong password logged in');
  }
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

const ms = (n: number) => `${n.toFixed(2)} ms`;
console.log(`argon2id m=19456 t=2 p=1; libuv threads ${threads}; cores ${availableParallelism()}`);
console.log(
  `event-loop delay during ${concurrency} concurrent logins: p99 ${ms(histogram.percentile(99) / 1e6)}, max ${ms(histogram.max / 1e6)} (burst took ${ms(burstMs)}; target p99 < 20 ms)`,
);
console.log(
  `logins per second: ${perSecond.toFixed(1)} (${(perSecond / cores).toFixed(1)} per core, ${cores} hashing cores)`,
);
console.log(
  `failure timing: unknown user ${ms(mean(unknown))}, wrong password ${ms(mean(wrong))}, difference ${ms(Math.abs(mean(unknown) - mean(wrong)))} (${samples} samples each)`,
);
