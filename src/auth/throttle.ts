import { createHmac } from 'node:crypto';
import { ConfigurationError } from '../core/errors.js';
import { toMilliseconds, type Duration } from '../core/duration.js';
import { networkOf } from './network.js';
import { guardThrottleStore } from './unavailable.js';

/**
 * Login throttling (SEC-46, SEC-53): attempts are counted per account and per client network, and
 * after a few free attempts each further one must wait twice as long as the last, up to a cap.
 * Nothing is ever locked for good: the delay is capped, attempts refused while waiting are not
 * counted (hammering does not extend the wait), and counters are forgotten a while after the last
 * attempt.
 *
 * Each attempt is decided and counted in one atomic store operation before the password is
 * checked, so a burst of concurrent guesses cannot all slip through a check-then-count gap: of 1000
 * simultaneous guesses, only the free ones (or one, once a delay has passed) are let through.
 */

/** A counter after one attempt. */
export interface ThrottleTake {
  /** True when the attempt may go ahead (and was counted). */
  readonly allowed: boolean;
  /** Attempts counted since the counter last started. */
  readonly count: number;
  /** Time of the last counted attempt (ms since epoch). */
  readonly lastAt: number;
}

/** The backoff a store applies, all times in ms. */
export interface ThrottleBackoff {
  readonly freeAttempts: number;
  readonly baseDelay: number;
  readonly maxDelay: number;
  /** A counter expires this long after its last counted attempt. */
  readonly window: number;
}

/**
 * How long a counter holding `count` attempts blocks after its last one:
 * 0 below `freeAttempts`, else `min(baseDelay * 2^min(count - freeAttempts, 30), maxDelay)`.
 * Stores implement the same formula (in SQL or Lua).
 */
export function backoffDelay(count: number, rule: ThrottleBackoff): number {
  if (count < rule.freeAttempts) return 0;
  return Math.min(rule.baseDelay * 2 ** Math.min(count - rule.freeAttempts, 30), rule.maxDelay);
}

/**
 * Where attempt counters live. Use the backend your sessions already use, so every process sees
 * the same counts. Keys arrive already hashed (no login names or addresses are stored). Only
 * infrastructure failures reject. Each method is one atomic operation on the backend.
 */
export interface ThrottleStore {
  /**
   * One attempt under `key`, decided and counted atomically:
   * - no counter, or an expired one (`now >= lastAt + window`): start at count 1, `lastAt = now`;
   *   allowed.
   * - blocked (`now < lastAt + backoffDelay(count, rule)`): change nothing; not allowed.
   * - otherwise: count + 1, `lastAt = now`, expiry `now + window`; allowed.
   */
  take(key: string, now: number, rule: ThrottleBackoff): Promise<ThrottleTake>;
  /**
   * Un-counts one attempt (it succeeded, or another key refused it) when the counter is live and
   * above 0. Leaves `lastAt` and the expiry alone. No-op when missing.
   */
  release(key: string, now: number): Promise<void>;
  /** Forgets the counter. No-op when missing. */
  reset(key: string): Promise<void>;
}

/** Backoff of one kind of key. */
export interface ThrottleRule {
  /** Failures allowed before any delay. */
  readonly freeAttempts?: number;
  /** Delay after the first failure beyond the free ones; doubles with each further failure. */
  readonly baseDelay?: Duration;
  /** Longest delay ever imposed. */
  readonly maxDelay?: Duration;
  /** A counter is forgotten this long after its last failure. Must be longer than `maxDelay`. */
  readonly window?: Duration;
}

/** Options of login throttling (`createAuth({ throttle })`). */
export interface ThrottleOptions {
  readonly store: ThrottleStore;
  /**
   * Per account (the login name as typed, normalised, whether or not the account exists, so
   * throttling never reveals which accounts exist). Default: 5 free failures, then 1 s doubling
   * to at most 15 min; forgotten 1 h after the last failure. `false` turns it off.
   */
  readonly account?: ThrottleRule | false;
  /**
   * Per client network (the IPv4 address, or the IPv6 /64, which one client usually owns).
   * Default: 20 free failures, then 1 s doubling to at most 15 min; forgotten after 1 h. Needs
   * the client address (`login(..., { request })`); skipped when it is unknown. `false` turns it
   * off.
   */
  readonly ip?: ThrottleRule | false;
}

/** Every throttling default in one place. */
export const THROTTLE_DEFAULTS = Object.freeze({
  account: Object.freeze({ freeAttempts: 5, baseDelay: '1s', maxDelay: '15m', window: '1h' }),
  ip: Object.freeze({ freeAttempts: 20, baseDelay: '1s', maxDelay: '15m', window: '1h' }),
});

function resolveRule(
  rule: ThrottleRule,
  defaults: Readonly<Required<ThrottleRule>>,
  what: string,
): ThrottleBackoff {
  const ms = (value: Duration, name: string): number => {
    try {
      return toMilliseconds(value, `throttle.${what}.${name}`);
    } catch (error) {
      throw new ConfigurationError(`createAuth: ${(error as Error).message}`);
    }
  };
  const freeAttempts = rule.freeAttempts ?? defaults.freeAttempts;
  if (!Number.isInteger(freeAttempts) || freeAttempts < 1) {
    throw new ConfigurationError(
      `createAuth: throttle.${what}.freeAttempts must be an integer >= 1`,
    );
  }
  const resolved = {
    freeAttempts,
    baseDelay: ms(rule.baseDelay ?? defaults.baseDelay, 'baseDelay'),
    maxDelay: ms(rule.maxDelay ?? defaults.maxDelay, 'maxDelay'),
    window: ms(rule.window ?? defaults.window, 'window'),
  };
  if (resolved.baseDelay <= 0 || resolved.maxDelay < resolved.baseDelay) {
    throw new ConfigurationError(
      `createAuth: throttle.${what} needs 0 < baseDelay <= maxDelay (got ${resolved.baseDelay} ms and ${resolved.maxDelay} ms)`,
    );
  }
  if (resolved.window <= resolved.maxDelay) {
    throw new ConfigurationError(
      `createAuth: throttle.${what}.window (${resolved.window} ms) must be longer than maxDelay (${resolved.maxDelay} ms), or counters vanish before the delay ends`,
    );
  }
  return resolved;
}

/** How long a key with `count` failures must wait after its last one (0: not at all). */
/** The keys one login attempt is counted under. */
export interface ThrottleKeys {
  readonly account: string;
  readonly ip: string | null;
}

/** @internal The throttle of one `createAuth`. */
export class Throttle {
  readonly #store: ThrottleStore;
  readonly #account: ThrottleBackoff | null;
  readonly #ip: ThrottleBackoff | null;
  readonly #secret: Buffer;

  constructor(options: ThrottleOptions, secret: Buffer) {
    const { store } = options;
    if (
      typeof store !== 'object' ||
      store === null ||
      !['take', 'release', 'reset'].every(
        (m) => typeof (store as unknown as Record<string, unknown>)[m] === 'function',
      )
    ) {
      throw new ConfigurationError(
        'createAuth: throttle.store must be a ThrottleStore (take, release, reset), e.g. memoryThrottleStore()',
      );
    }
    this.#store = guardThrottleStore(store);
    this.#account =
      options.account === false
        ? null
        : resolveRule(options.account ?? {}, THROTTLE_DEFAULTS.account, 'account');
    this.#ip =
      options.ip === false ? null : resolveRule(options.ip ?? {}, THROTTLE_DEFAULTS.ip, 'ip');
    this.#secret = secret;
  }

  /** Keys for an attempt: HMACs, so the store never holds login names or addresses. */
  keys(login: string, ip: string | undefined): ThrottleKeys {
    return {
      account: `a:${this.#mac(`account\0${login}`)}`,
      ip: ip === undefined || ip === '' ? null : `i:${this.#mac(`ip\0${networkOf(ip, 32, 64)}`)}`,
    };
  }

  /**
   * Decides and counts one attempt under every key: network first, so an attempt the network
   * refuses never touches the account's counter (a refused spray cannot extend the owner's wait).
   * Returns 0 to go ahead, else the milliseconds to wait and which key refused.
   */
  async acquire(
    keys: ThrottleKeys,
    now: number,
  ): Promise<{ wait: number; scope: 'account' | 'ip' | null }> {
    const taken: string[] = [];
    for (const [scope, key, rule] of this.#pairs(keys)) {
      const take = await this.#store.take(key, now, rule);
      if (!take.allowed) {
        await Promise.all(taken.map((k) => this.#store.release(k, now)));
        const wait = Math.max(1, take.lastAt + backoffDelay(take.count, rule) - now);
        return { wait, scope };
      }
      taken.push(key);
    }
    return { wait: 0, scope: null };
  }

  /**
   * After a successful login: the account's counter is forgotten; the network's gives back this
   * attempt only (a network is shared, and forgetting it would let one valid account launder the
   * failures of others).
   */
  async succeed(keys: ThrottleKeys, now: number): Promise<void> {
    await Promise.all([
      this.#account === null ? null : this.#store.reset(keys.account),
      this.#ip === null || keys.ip === null ? null : this.#store.release(keys.ip, now),
    ]);
  }

  #pairs(keys: ThrottleKeys): ['account' | 'ip', string, ThrottleBackoff][] {
    const pairs: ['account' | 'ip', string, ThrottleBackoff][] = [];
    if (this.#ip !== null && keys.ip !== null) pairs.push(['ip', keys.ip, this.#ip]);
    if (this.#account !== null) pairs.push(['account', keys.account, this.#account]);
    return pairs;
  }

  #mac(value: string): string {
    return createHmac('sha256', this.#secret).update(value).digest('base64url').slice(0, 32);
  }
}
