import type { CommitResult } from '../core/session.js';

/**
 * True when a commit result changes the response at all. Shared by the adapters: a request that
 * never used its session gets a result with nothing in it, and the adapter then leaves the
 * response alone (on some frameworks even reading the response headers has a cost).
 */
export function changesResponse(result: CommitResult): boolean {
  return result.setCookie !== null || result.vary || result.cacheControl !== null;
}
