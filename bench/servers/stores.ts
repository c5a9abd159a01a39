import type { Store } from 'latchkey';
import { memoryStore } from 'latchkey/stores/memory';

/**
 * The store a bench server uses, chosen by BENCH_STORE (memory by default). Persistent stores are
 * added here as they land; each is imported only when selected.
 */
// eslint-disable-next-line @typescript-eslint/require-await -- persistent stores are imported lazily here
export async function benchStore(): Promise<Store> {
  const kind = process.env.BENCH_STORE ?? 'memory';
  switch (kind) {
    case 'memory':
      return memoryStore({ maxSessions: 2_000_000 });
    default:
      throw new Error(`BENCH_STORE=${kind} is not supported`);
  }
}
