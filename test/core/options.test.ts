import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toMilliseconds } from '../../src/core/duration.js';
import { ConfigurationError } from '../../src/core/errors.js';
import { createSessions } from '../../src/core/manager.js';
import type { SessionOptions } from '../../src/core/options.js';
import { memoryStore } from '../../src/stores/memory.js';

function create(options: Partial<SessionOptions>) {
  return createSessions({ store: memoryStore(), ...options });
}

describe('durations', () => {
  it('reads milliseconds and unit strings', () => {
    assert.equal(toMilliseconds(1500, 'x'), 1500);
    assert.equal(toMilliseconds('500ms', 'x'), 500);
    assert.equal(toMilliseconds('90s', 'x'), 90_000);
    assert.equal(toMilliseconds('30m', 'x'), 1_800_000);
    assert.equal(toMilliseconds('12h', 'x'), 43_200_000);
    assert.equal(toMilliseconds('30d', 'x'), 2_592_000_000);
    assert.equal(toMilliseconds('2w', 'x'), 1_209_600_000);
    assert.equal(toMilliseconds('1h30m', 'x'), 5_400_000);
  });

  for (const bad of ['', '30', '1.5h', '30 m', 'm', '-1s', '10y', '1h30', 'thirty minutes']) {
    it(`rejects ${JSON.stringify(bad)} naming the option`, () => {
      assert.throws(() => toMilliseconds(bad, 'idleTimeout'), /idleTimeout/);
    });
  }

  it('rejects negative and non-finite numbers', () => {
    assert.throws(() => toMilliseconds(-1, 'x'), TypeError);
    assert.throws(() => toMilliseconds(Number.NaN, 'x'), TypeError);
    assert.throws(() => toMilliseconds(Number.POSITIVE_INFINITY, 'x'), TypeError);
  });
});

describe('createSessions options', () => {
  it('has secure defaults in force', () => {
    const { options } = create({});
    assert.deepEqual(options.cookie, {
      name: '__Host-sid',
      secure: true,
      httpOnly: true,
      sameSite: 'lax',
      path: '/',
      domain: undefined,
      partitioned: false,
    });
    assert.equal(options.idleTimeout, 30 * 60_000);
    assert.equal(options.absoluteTimeout, 12 * 3_600_000);
    assert.equal(options.rememberMe.absoluteTimeout, 30 * 86_400_000);
    assert.equal(options.touchInterval, 60_000, 'idle/10 capped at 60 s');
    assert.equal(options.cacheControl, 'no-store');
    assert.equal(options.storeTimeout, 2000);
    assert.equal(options.trustProxy, false);
    assert.ok(Object.isFrozen(options) && Object.isFrozen(options.cookie));
  });

  it('derives the touch interval from a short idle timeout', () => {
    assert.equal(create({ idleTimeout: '5m' }).options.touchInterval, 30_000);
  });

  it('defaults to a __Secure- name when a Domain is configured', () => {
    assert.equal(create({ cookie: { domain: 'example.com' } }).options.cookie.name, '__Secure-sid');
  });

  const contradictions: [string, Partial<SessionOptions>, RegExp][] = [
    ['no store', { store: undefined as never }, /"store" is required/],
    [
      'a store missing methods',
      { store: { get: () => Promise.resolve(null) } as never },
      /no create\(\)/,
    ],
    [
      'idle longer than absolute',
      { idleTimeout: '2h', absoluteTimeout: '1h' },
      /shorten idleTimeout/,
    ],
    [
      'a __Host- name with a Domain',
      { cookie: { name: '__Host-sid', domain: 'example.com' } },
      /cannot have a Domain/,
    ],
    ['a __Host- name with another path', { cookie: { path: '/app' } }, /must have path "\/"/],
    ['a __Host- name without Secure', { cookie: { secure: false } }, /must be Secure/],
    [
      'a __Secure- name without Secure',
      { cookie: { name: '__Secure-x', secure: false } },
      /must be Secure/,
    ],
    [
      'an illegal cookie name',
      { cookie: { name: 'sid;evil' } },
      /characters a cookie name cannot hold/,
    ],
    [
      'a cookie name with a space',
      { cookie: { name: 'my sid' } },
      /characters a cookie name cannot hold/,
    ],
    [
      'SameSite=None without Secure',
      { cookie: { name: 'sid', secure: false, sameSite: 'none' } },
      /requires cookie.secure/,
    ],
    ['an unknown SameSite', { cookie: { sameSite: 'loose' as never } }, /sameSite must be/],
    ['a zero idle timeout', { idleTimeout: 0 }, /greater than zero/],
    [
      'a touch interval as long as idle',
      { idleTimeout: '1m', touchInterval: '1m' },
      /touchInterval/,
    ],
    ['an unreadable duration', { idleTimeout: 'half an hour' }, /idleTimeout: cannot read/],
    ['a header-splitting Cache-Control', { cacheControl: 'no-store\r\nX-Evil: 1' }, /cacheControl/],
    [
      'remember-me idle longer than its lifetime',
      { rememberMe: { idleTimeout: '60d' } },
      /rememberMe.idleTimeout/,
    ],
  ];
  for (const [name, options, message] of contradictions) {
    it(`throws a ConfigurationError for ${name}`, () => {
      assert.throws(
        () => create(options),
        (error: unknown) => {
          assert.ok(error instanceof ConfigurationError);
          assert.match(error.message, message);
          return true;
        },
      );
    });
  }

  it('warns once, at start-up, when Secure or HttpOnly is turned off', async () => {
    const warnings: string[] = [];
    const listener = (w: Error): void => {
      warnings.push(w.message);
    };
    process.on('warning', listener);
    try {
      create({ cookie: { name: 'sid', secure: false, httpOnly: false } });
      await new Promise((r) => setImmediate(r));
    } finally {
      process.off('warning', listener);
    }
    assert.equal(warnings.filter((w) => w.includes('cookie.secure is false')).length, 1);
    assert.equal(warnings.filter((w) => w.includes('cookie.httpOnly is false')).length, 1);
  });
});
