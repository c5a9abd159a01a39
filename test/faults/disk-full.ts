import assert from 'node:assert/strict';
import type { TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../../src/core/store.js';
import {
  assertAllOk,
  assertHealthy,
  assertSessionsIntact,
  assertUserLanes,
  assertVisitors,
  duration,
  Load,
  logIn,
  storeErrorCauses,
  visitorLanes,
  within,
  type FaultApp,
} from './load.js';

/**
 * The disk-full scenario shared by the SQLite and file store tests: ten logged-in users keep
 * requesting and four lanes of new visitors keep creating sessions while the store runs out of
 * space for 1.5 s. While full, a write may fail (503 naming the cause) or, if it still finds room,
 * succeed; what must never happen is a 200 for a write that was not stored, a cookie for a
 * session that does not exist, a session read as empty, or anything left broken afterwards.
 */

const USERS = 10;
const VISITOR_LANES = 4;
/** Big enough that new sessions use up whatever room is left quickly. */
const PAD = 1500;
const BOUND = 3000;
const FULL_MS = 1500;

export interface FullCase {
  readonly app: FaultApp;
  readonly store: Store;
  /** Takes the space away. */
  fill(): Promise<unknown> | undefined;
  /** Gives it back. */
  free(): Promise<unknown> | undefined;
  /** The driver's error code for "no space", and what its message must say. */
  readonly code: string;
  readonly message: RegExp;
}

/** Waits until `check` holds, polling; fails after `limit` ms saying `what`. */
async function until(what: string, check: () => boolean, limit: number): Promise<void> {
  const start = performance.now();
  while (!check()) {
    if (performance.now() - start > limit) throw new Error(`${what} did not happen in ${limit} ms`);
    await sleep(20);
  }
}

export async function runFullScenario(t: TestContext, c: FullCase): Promise<void> {
  const { app } = c;
  const users = await logIn(app.url, USERS, 'full');
  const load = Load.forUsers(app.url, users, visitorLanes(VISITOR_LANES, PAD));
  let full = 0;
  let freed = 0;
  let recoveredIn = 0;
  let tail = 0;
  let peekWhileFull: Response | undefined;
  let filled = false;
  try {
    await sleep(500);
    await c.fill();
    filled = true;
    full = performance.now();
    await until('a write failing for lack of space', () => app.storeErrors.length > 0, 5000);
    peekWhileFull = await fetch(`${app.url}/peek`, { headers: { cookie: users[0]!.cookie } });
    await sleep(FULL_MS);
    await c.free();
    filled = false;
    freed = performance.now();
    recoveredIn = await load.recovered(performance.now(), 5000);
    tail = performance.now();
    await sleep(500);
  } finally {
    if (filled) await c.free();
    await load.stop();
  }

  const visitorOutcomes = load.outcomes.slice(USERS).flat();
  const whileFull = within(load.all(), full, freed);
  t.diagnostic(`overall: ${load.summary()}`);
  t.diagnostic(`while full: ${load.summary(whileFull)}`);
  t.diagnostic(`every lane written again ${recoveredIn} ms after space was freed`);

  const counters = assertUserLanes(load, users);
  assert.ok((await assertVisitors(visitorOutcomes, c.store, PAD)) > 0, 'visitors got sessions');
  assert.ok(
    within(visitorOutcomes, full, freed).some((o) => o.status === 503),
    'new sessions were refused while full',
  );
  for (const o of whileFull) assert.ok(duration(o) < BOUND, 'answered within the bound');
  // The cause reaches the operator: the driver's own code and message, under a 503.
  const causes = storeErrorCauses(app);
  assert.ok(causes.length > 0);
  for (const cause of causes) {
    assert.equal(cause.code, c.code, cause.message);
    assert.match(cause.message, c.message);
  }
  // A full disk still serves what it holds.
  assert.equal(peekWhileFull?.status, 200);
  assert.equal(((await peekWhileFull.json()) as { marker: string }).marker, users[0]!.name);
  assertHealthy(load, BOUND);
  assertAllOk(load.all().filter((o) => o.start >= tail));
  await assertSessionsIntact(app.url, users, counters);
}
