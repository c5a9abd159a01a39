// Shared by the store micro-benchmarks (store-ops-*.ts): a typical logged-in session record and
// an operations-per-second loop.
import { randomBytes } from 'node:crypto';
import { sampleRecord } from '../src/testing/conformance.js';

/** Operations kept in flight while measuring. */
export const IN_FLIGHT = 32;

/** A record the size of a typical logged-in session: a CSRF secret, a small cart, full meta. */
export function typicalRecord(
  userId: string | null = 'user-123456',
): ReturnType<typeof sampleRecord> {
  return sampleRecord({
    userId,
    data: {
      csrf: JSON.stringify(randomBytes(32).toString('base64url')),
      cart: '["sku-1","sku-2"]',
    },
    meta: {
      ip: '203.0.113.9',
      userAgent:
        'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      authTime: Date.now(),
      authMethod: 'password',
    },
  });
}

/** Runs `op` with {@link IN_FLIGHT} calls in flight for `seconds` and prints operations per second. */
export async function measureOps(
  name: string,
  seconds: number,
  op: (i: number) => unknown,
): Promise<void> {
  const end = performance.now() + seconds * 1000;
  let count = 0;
  async function worker(): Promise<void> {
    while (performance.now() < end) await op(count++);
  }
  const start = performance.now();
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const elapsed = (performance.now() - start) / 1000;
  console.log(`  ${name.padEnd(28)} ${Math.round(count / elapsed).toLocaleString('en')} ops/s`);
}
