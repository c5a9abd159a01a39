// Seal + unseal throughput of sealed-cookie sessions, in-process (no HTTP).
//
//   node --conditions=latchkey-source --import tsx bench/seal.ts [--seconds 3]
//
// Three measurements per payload size (small: a user id and a counter; ~1 KB: a cart):
//   seal+unseal   the AES-256-GCM envelope alone (encodeState/decodeState excluded)
//   round trip    what one request costs the provider: open the cookie, read, write, re-seal
// Results go to stdout as a table; the lead copies the quiet-machine numbers into docs/benchmarks.md.
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createCookieSessions } from '../src/cookie-sessions/index.js';
import { createKeyRing } from '../src/cookie-sessions/keyring.js';
import { seal, unseal } from '../src/cookie-sessions/seal.js';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '3' } } });
const seconds = Number(values.seconds);
if (!Number.isFinite(seconds) || seconds <= 0)
  throw new Error('--seconds must be a positive number');

const KEY = 'bench-secret-bench-secret-bench-secret-0123';
const NAME = '__Host-sid';

const payloads = {
  small: { user: 'user-1234', visits: 42 },
  '1 KB': {
    cart: Array.from({ length: 18 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      qty: i + 1,
      note: 'gift wrap please',
    })),
    locale: 'en-GB',
  },
};

/** Runs `work` repeatedly for `seconds`, in batches, and returns operations per second. */
function measure(work: () => void): number {
  for (let i = 0; i < 200; i++) work(); // warm-up
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) work();
    count += 100;
  }
  return count / ((performance.now() - started) / 1000);
}

async function measureAsync(work: () => Promise<void>): Promise<number> {
  for (let i = 0; i < 200; i++) await work();
  const deadline = performance.now() + seconds * 1000;
  let count = 0;
  const started = performance.now();
  while (performance.now() < deadline) {
    for (let i = 0; i < 100; i++) await work();
    count += 100;
  }
  return count / ((performance.now() - started) / 1000);
}

const ring = createKeyRing([KEY]);
const sessions = createCookieSessions({ keys: KEY });
const rows: string[][] = [];

for (const [label, data] of Object.entries(payloads)) {
  const plaintext = JSON.stringify({ d: data });
  const sealedOnce = seal(ring, NAME, plaintext);
  const sealRate = measure(() => {
    const sealed = seal(ring, NAME, plaintext);
    if (!unseal(ring, NAME, sealed).ok) throw new Error('unseal failed');
  });

  // A cookie as a returning visitor sends it, then a request that reads and writes one key.
  const start = sessions.fromRequest({ cookie: undefined });
  for (const [key, value] of Object.entries(data)) await start.set(key, value);
  const line = (await sessions.commit(start)).setCookie ?? '';
  const cookie = line.split(';')[0] ?? '';
  const tripRate = await measureAsync(async () => {
    const session = sessions.fromRequest({ cookie });
    await session.get('locale');
    await session.set('seen', 1);
    const result = await sessions.commit(session);
    if (result.setCookie === null) throw new Error('expected a re-seal');
  });
  rows.push([
    label,
    `${Buffer.byteLength(plaintext)} B`,
    `${sealedOnce.length} B`,
    Math.round(sealRate).toLocaleString('en'),
    Math.round(tripRate).toLocaleString('en'),
  ]);
}

const header = ['payload', 'JSON', 'cookie value', 'seal+unseal /s', 'request round trip /s'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
const format = (cells: string[]): string =>
  `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
console.log(`node ${process.version}, ${seconds} s per measurement`);
console.log(format(header));
console.log(`| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`);
for (const row of rows) console.log(format(row));
