import assert from 'node:assert/strict';
import fc from 'fast-check';
import { withSession } from '../../src/adapters/node.js';
import { CookieTooLargeError, createCookieSessions } from '../../src/cookie-sessions/index.js';
import { createKeyRing } from '../../src/cookie-sessions/keyring.js';
import { decodeState } from '../../src/cookie-sessions/payload.js';
import { seal, unseal } from '../../src/cookie-sessions/seal.js';
import type { CommitResult } from '../../src/core/session.js';
import { COOKIE, KEY_A, KEY_B, KEY_C } from '../cookie-sessions/fixtures.js';
import {
  BASE64URL,
  damaged,
  distinctive,
  fuzzProperty,
  hostileString,
  Reach,
  type FuzzSuite,
} from './harness.js';
import {
  bigHeaderServer,
  portOf,
  rawRequest,
  requestHead,
  setCookieValues,
  textWithoutSetCookie,
} from './raw-http.js';

/**
 * Sealed cookie sessions (src/cookie-sessions): AES-256-GCM cookies must open only exactly as
 * sealed, by our key, for our cookie name; anything else is an empty anonymous session, never an
 * exception or a 5xx. And whatever JSON an app stores must come back unchanged.
 */

/** The characters of a sealed value: `v1.<keyId>.<base64url>`. */
const SEALED_ALPHABET = `${BASE64URL}.`;
/** A fixed clock: a long fuzz run must not see the victim's session expire. */
const NOW = Date.UTC(2026, 0, 1);

// Never empty: the session payload is always a JSON object, and unseal refuses a body without
// at least one byte of ciphertext.
const plaintext = fc.string({ unit: 'binary', minLength: 1, maxLength: 400 });

/** Session data as an app would store it: JSON values under any key but `__proto__`. */
const sessionData = fc.dictionary(
  fc
    .oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('constructor', 'a.b'))
    .filter((key) => key !== '__proto__'),
  fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
  { maxKeys: 6, noNullPrototype: true },
);

function sealedToken(setCookie: string | null): string {
  const value = new RegExp(`^${COOKIE}=([^;]*)`).exec(setCookie ?? '')?.[1];
  assert.ok(value !== undefined && value !== '', `a sealed cookie in ${String(setCookie)}`);
  return value;
}

export const sealedSuite: FuzzSuite = {
  name: 'sealed cookie sessions',
  async start() {
    const ring = createKeyRing([KEY_A]);
    // Another app's key; and another key that claims our key's id.
    const foreignRings = [
      createKeyRing([KEY_B]),
      createKeyRing([{ id: ring.current.id, secret: KEY_C }]),
    ];
    const sessions = createCookieSessions({ keys: [KEY_A], now: () => NOW });

    const victimSession = sessions.fromRequest({ cookie: undefined, secure: true });
    await victimSession.bindUser('victim');
    await victimSession.set('secret', 'victim data');
    const victim = sealedToken((await sessions.commit(victimSession)).setCookie);
    // Genuine seals of assorted sizes, for the byte-level tampering property.
    const genuine = ['x', '{"a":1}', 'é'.repeat(40), 'z'.repeat(700)].map((p) =>
      seal(ring, COOKIE, p),
    );
    for (const value of genuine) assert.ok(unseal(ring, COOKIE, value).ok);

    /** Cookie values that must not open: damaged victims, foreign seals, random text. */
    const unopenable = fc.oneof(
      { weight: 4, arbitrary: damaged(victim, SEALED_ALPHABET, false) },
      fc
        .tuple(fc.constantFrom(...foreignRings), plaintext)
        .map(([other, p]) => seal(other, COOKIE, p)),
      plaintext.map((p) => seal(ring, `${COOKIE}-other`, p)),
      hostileString(120),
      fc
        .tuple(fc.stringMatching(/^[A-Za-z0-9_-]{1,32}$/), fc.base64String())
        .map(
          ([id, body]) =>
            `v1.${id}.${body.replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_')}`,
        ),
    );
    /** Cookie values that must not give a session: those, and our seals of a payload that is no
     * session (another version's, a bug's), which open but must read as empty. */
    const hostileCookie = fc.oneof(
      { weight: 6, arbitrary: unopenable },
      fc.json({ maxDepth: 2 }).map((text) => seal(ring, COOKIE, text)),
    );

    const server = await bigHeaderServer(
      withSession(sessions, async (req, res) => {
        if (req.url === '/write') await req.session.set('n', 1);
        const body = { user: await req.session.userId(), keys: await req.session.keys() };
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      }),
    );
    const port = portOf(server);
    const http = new Reach();

    const properties = [
      fuzzProperty(
        'unseal: tampered, truncated or extended seals never open and never throw',
        'pure',
        fc.property(
          fc.oneof(...genuine.map((value) => damaged(value, SEALED_ALPHABET))),
          (value) => {
            assert.equal(unseal(ring, COOKIE, value).ok, false);
          },
        ),
      ),
      fuzzProperty(
        'unseal: random strings, other keys and other cookie names never open',
        'pure',
        fc.property(unopenable, (value) => {
          assert.equal(unseal(ring, COOKIE, value).ok, false);
        }),
      ),
      fuzzProperty(
        'seal then unseal returns any text unchanged; two seals of it differ',
        'pure',
        fc.property(plaintext, (text) => {
          const sealed = seal(ring, COOKIE, text);
          assert.deepEqual(unseal(ring, COOKIE, sealed), {
            ok: true,
            plaintext: text,
            keyId: ring.current.id,
          });
          assert.notEqual(seal(ring, COOKIE, text), sealed);
        }),
      ),
      fuzzProperty(
        'decodeState never throws on any JSON or text, and returns null or a well-formed state',
        'pure',
        fc.property(
          fc.oneof(
            fc.json({ maxDepth: 3 }),
            plaintext,
            fc
              .record({
                n: fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{22}$/), fc.jsonValue()),
                u: fc.jsonValue(),
                d: fc.jsonValue({ maxDepth: 2 }),
                c: fc.jsonValue(),
                s: fc.jsonValue(),
                a: fc.jsonValue(),
                i: fc.jsonValue(),
                p: fc.jsonValue(),
                x: fc.jsonValue({ maxDepth: 2 }),
              })
              .map((wire) => JSON.stringify(wire)),
          ),
          (text) => {
            const state = decodeState(text);
            if (state === null) return;
            assert.match(state.sid, /^[A-Za-z0-9_-]{22}$/);
            for (const field of ['createdAt', 'lastSeenAt', 'absoluteExpiresAt'] as const) {
              assert.ok(Number.isSafeInteger(state[field]) && state[field] >= 0);
            }
            assert.ok(state.userId === null || (typeof state.userId === 'string' && state.userId));
          },
        ),
      ),
      fuzzProperty(
        'a session holding any JSON data round-trips through its sealed cookie',
        'pure',
        fc.asyncProperty(sessionData, async (data) => {
          const writer = sessions.fromRequest({ cookie: undefined, secure: true });
          for (const [key, value] of Object.entries(data)) await writer.set(key, value);
          let result: CommitResult;
          try {
            result = await sessions.commit(writer);
          } catch (error) {
            // The one refusal allowed: a session too big for a cookie, said plainly.
            assert.ok(error instanceof CookieTooLargeError, String(error));
            assert.ok(Buffer.byteLength(JSON.stringify(data)) > 2000, 'a small session refused');
            return;
          }
          if (Object.keys(data).length === 0) {
            assert.equal(result.setCookie, null);
            return;
          }
          const reader = sessions.fromRequest({
            cookie: `${COOKIE}=${sealedToken(result.setCookie)}`,
            secure: true,
          });
          const expected = JSON.parse(JSON.stringify(data)) as Record<string, unknown>;
          assert.deepEqual(Object.fromEntries(await reader.entries()), expected);
          for (const key of Object.keys(expected)) {
            assert.deepEqual(await reader.get(key), expected[key]);
          }
        }),
      ),
      fuzzProperty(
        'a cookie that does not open, or holds no session, reads as empty and anonymous',
        'pure',
        fc.asyncProperty(hostileCookie, fc.boolean(), async (value, write) => {
          const session = sessions.fromRequest({ cookie: `${COOKIE}=${value}`, secure: true });
          if (write) await session.set('n', 1);
          assert.equal(await session.userId(), null);
          assert.deepEqual(await session.keys(), write ? ['n'] : []);
          const { setCookie } = await sessions.commit(session);
          if (write) assert.notEqual(sealedToken(setCookie), value);
          else
            assert.ok(setCookie === null || setCookie.startsWith(`${COOKIE}=;`), setCookie ?? '');
        }),
      ),
      fuzzProperty(
        'node:http: hostile sealed cookies never get a 5xx, an echo or the victim session',
        'http',
        fc.asyncProperty(hostileCookie, fc.boolean(), async (value, write) => {
          const head = requestHead(write ? 'POST' : 'GET', write ? '/write' : '/read', [
            ['Cookie', Buffer.from(`${COOKIE}=${value}`, 'utf8')],
            ['Content-Length', '0'],
          ]);
          const response = await rawRequest(port, head);
          assert.ok(response.status < 500, `status ${String(response.status)}`);
          http.hit(response.status === 200);
          const sent = Buffer.from(value, 'utf8').toString('latin1');
          if (distinctive(sent)) {
            assert.ok(!textWithoutSetCookie(response).includes(sent), 'the cookie is echoed');
          }
          if (response.status !== 200) return;
          assert.deepEqual(JSON.parse(response.body), { user: null, keys: write ? ['n'] : [] });
          const set = setCookieValues(response, COOKIE);
          if (write) {
            assert.equal(set.length, 1);
            assert.notEqual(set[0], value);
            assert.notEqual(set[0], victim);
          } else {
            assert.ok(
              set.every((v) => v === ''),
              'only a clearing cookie may be set',
            );
          }
        }),
        async () => {
          http.check('sealed cookies over HTTP', 0.6);
          const control = await rawRequest(
            port,
            requestHead('GET', '/read', [['Cookie', `${COOKIE}=${victim}`]]),
          );
          assert.deepEqual(JSON.parse(control.body), { user: 'victim', keys: ['secret'] });
        },
      ),
    ];
    return { properties, close: () => server.close() };
  },
};
