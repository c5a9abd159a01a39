import type { Awaitable, Store } from '../../src/core/store.js';

type Operation = 'get' | 'create' | 'update' | 'delete' | 'listByUser' | 'deleteByUser';

/**
 * Wraps a real store, counting calls per operation and optionally failing them (an outage switch)
 * or delaying them (to line up concurrent requests). Behaviour is the wrapped store's.
 */
export interface SpyStore extends Store {
  readonly calls: Record<Operation, number>;
  /** While true, every operation rejects as a disconnected driver would. */
  failing: boolean;
  /** Milliseconds added before each update (to hold a request in flight). */
  updateDelay: number;
  reset(): void;
}

export function spyStore(inner: Store): SpyStore {
  const calls: Record<Operation, number> = {
    get: 0,
    create: 0,
    update: 0,
    delete: 0,
    listByUser: 0,
    deleteByUser: 0,
  };
  const spy: SpyStore = {
    calls,
    failing: false,
    updateDelay: 0,
    reset() {
      for (const key of Object.keys(calls) as Operation[]) calls[key] = 0;
    },
    get: (id, now) => run('get', () => inner.get(id, now)),
    create: (record, now) => run('create', () => inner.create(record, now)),
    update: async (id, patch, now) => {
      if (spy.updateDelay > 0) await new Promise((r) => setTimeout(r, spy.updateDelay));
      return run('update', () => inner.update(id, patch, now));
    },
    delete: (id) => run('delete', () => inner.delete(id)),
    listByUser: (userId, now) => run('listByUser', () => inner.listByUser(userId, now)),
    deleteByUser: (userId, exceptId) =>
      run('deleteByUser', () => inner.deleteByUser(userId, exceptId)),
  };
  async function run<T>(operation: Operation, call: () => Awaitable<T>): Promise<T> {
    calls[operation]++;
    if (spy.failing) throw new Error('connect ECONNREFUSED 127.0.0.1:6379 (simulated outage)');
    return call();
  }
  return spy;
}
