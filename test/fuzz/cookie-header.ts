import assert from 'node:assert/strict';
import { parse } from 'cookie';
import fc from 'fast-check';
import { withSession } from '../../src/adapters/node.js';
import { readCookie } from '../../src/core/cookie.js';
import { createSessions } from '../../src/core/manager.js';
import { hashToken, isWellFormedToken } from '../../src/core/token.js';
import { memoryStore } from '../../src/stores/memory.js';
import {
  BASE64URL,
  damaged,
  distinctive,
  fuzzProperty,
  hostileString,
  Reach,
  tokenShaped,
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
 * Hostile Cookie headers on the request path of server-side sessions: `readCookie`, the session
 * load (`createSessions().fromRequest`) and a real node:http server wrapped in `withSession`.
 * A victim session exists in the store throughout; no fuzzed header carries its token, only
 * damaged copies of it, so every request must come out anonymous.
 */

const NAME = '__Host-sid';
/** Every event a hostile cookie may cause, as JSON: fixed reasons, hashed ids, nothing else. */
const EVENT =
  /^\{(?:"reason":"(?:malformed|unknown)"(?:,"session":"[0-9a-f]{16}")?|"session":"[0-9a-f]{16}","userId":null)\}$/;
/** A fixed clock: however long a fuzz run lasts, the victim's session never expires. */
const NOW = Date.UTC(2026, 0, 1);

/** The token with its case changed from some point on: cookie values are case-sensitive. */
function victimCase(token: string): fc.Arbitrary<string> {
  return fc
    .nat({ max: token.length - 1 })
    .map((i) => token.slice(0, i) + token.slice(i).toUpperCase())
    .filter((changed) => changed !== token);
}

/** Ways a client can dress a value up; the parser undoes them, so none turns a value into another. */
const dressings: ((value: string) => string)[] = [
  (v) => v,
  (v) => `"${v}"`,
  (v) => ` ${v}\t`,
  (v) => [...Buffer.from(v)].map((b) => `%${b.toString(16).padStart(2, '0')}`).join(''),
  (v) => `${v}%`,
  (v) => `%${v}`,
];

function cookieValue(victim: string): fc.Arbitrary<string> {
  return fc
    .tuple(
      fc.oneof(
        hostileString(120),
        tokenShaped,
        damaged(victim, BASE64URL, false),
        victimCase(victim),
        fc.uint8Array({ maxLength: 48 }).map((b) => Buffer.from(b).toString('base64url')),
        fc.string({
          unit: fc.constantFrom('%', '%G1', '%E0%A4', '%zz', '%%', '%0', '%C3', '%FF', 'A'),
          maxLength: 20,
        }),
      ),
      fc.nat({ max: dressings.length - 1 }),
    )
    .map(([value, dressing]) => dressings[dressing]!(value));
}

const cookieName = fc.oneof(
  { weight: 6, arbitrary: fc.constant(NAME) },
  fc.constantFrom(
    '__host-sid',
    '__HOST-SID',
    ' __Host-sid',
    `${NAME}\t`,
    '__Secure-sid',
    'sid',
    '',
  ),
  hostileString(16),
);

const separator = fc.constantFrom('; ', ';', ' ; ', ';;', ', ', '', '\t;');

/** A Cookie header as text: pairs (our name mostly), equals signs missing or doubled, odd separators. */
function cookieHeader(victim: string): fc.Arbitrary<string> {
  const pair = fc
    .tuple(cookieName, fc.constantFrom('=', '=', '=', '', '=='), cookieValue(victim))
    .map(([n, eq, v]) => n + eq + v);
  const text = fc
    .array(fc.tuple(pair, separator), { maxLength: 8 })
    .map((items) => items.map(([p, s]) => p + s).join(''));
  // Big headers are a repeated fragment: generating 100 KB character by character is slow.
  const huge = fc
    .tuple(
      fc.oneof(
        text.filter((t) => t.length > 0),
        fc.constantFrom(';', `${NAME}=`, 'A', '%', `${NAME}=x; `),
      ),
      fc.integer({ min: 10_000, max: 100_000 }),
    )
    .map(([fragment, size]) => fragment.repeat(Math.ceil(size / fragment.length)).slice(0, size));
  return fc.oneof({ weight: 12, arbitrary: text }, { weight: 1, arbitrary: huge });
}

/**
 * Headers from the characters the cookie grammar cares about (separators, blanks, quotes, percent
 * escapes) and a few name characters: every way of splitting, trimming and decoding gets exercised.
 */
const SOUP_UNITS = ['=', ';', ' ', '\t', '"', '%', '%41', '%E0', 's', 'i', 'd', NAME, `${NAME}=`];
const cookieSoup = fc.string({ unit: fc.constantFrom(...SOUP_UNITS), maxLength: 40 });
/** Cookie names to look up in the soup, blanks included (never found: names are trimmed). */
const soupName = fc.string({ unit: fc.constantFrom('s', 'i', 'd', ' ', '%41', 'A'), maxLength: 4 });

/** A Cookie header as the bytes on the wire, plus the text fragments an echo would reveal. */
interface WireCookie {
  readonly name: string;
  readonly bytes: Uint8Array;
  /** What node will hand the application for this header (latin1 of the bytes). */
  readonly latin1: string;
}

/** Drops the bytes node's parser refuses in a header value (controls but tab), so most cases get
 * past the parser to the session code. */
function headerSafe(bytes: Uint8Array): Uint8Array {
  return bytes.filter((b) => b === 0x09 || (b >= 0x20 && b !== 0x7f));
}

function wireCookie(victim: string): fc.Arbitrary<WireCookie> {
  const bytes = fc.oneof(
    { weight: 8, arbitrary: cookieHeader(victim).map((t) => headerSafe(Buffer.from(t, 'utf8'))) },
    { weight: 2, arbitrary: cookieHeader(victim).map((t) => headerSafe(Buffer.from(t, 'latin1'))) },
    // Control characters included: refused by node's parser (400), which is fine as long as
    // nothing gets through to a 5xx.
    { weight: 1, arbitrary: cookieHeader(victim).map((t) => Buffer.from(t, 'utf8')) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
  );
  return fc
    .tuple(fc.constantFrom('Cookie', 'cookie', 'COOKIE', 'cOoKiE'), bytes)
    .map(([name, b]) => ({ name, bytes: b, latin1: Buffer.from(b).toString('latin1') }));
}

/** Cookie-octet (RFC 6265) without `%`, so the parser returns such a value verbatim. */
const octetValue = fc.string({
  unit: fc.constantFrom(
    ...Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).filter(
      (c) => !'"%,;\\'.includes(c),
    ),
  ),
  minLength: 1,
  maxLength: 60,
});

export const cookieHeaderSuite: FuzzSuite = {
  name: 'cookie header on the request path',
  async start() {
    const store = memoryStore();
    const sessions = createSessions({ store, now: () => NOW });
    const events: string[] = [];
    for (const name of ['rejected-token', 'expired', 'created'] as const) {
      sessions.on(name, (event) => events.push(JSON.stringify(event)));
    }

    // The victim: a logged-in session with data, created through the ordinary API.
    const seed = sessions.fromRequest({ cookie: undefined, secure: true });
    await seed.bindUser('victim');
    await seed.set('secret', 'victim data');
    const seeded = await sessions.commit(seed);
    const victim = new RegExp(`^${NAME}=([^;]+)`).exec(seeded.setCookie ?? '')?.[1];
    assert.ok(victim !== undefined && isWellFormedToken(victim));

    const server = await bigHeaderServer(
      withSession(sessions, async (req, res) => {
        if (req.url === '/write') await req.session.set('n', 1);
        const body = { user: await req.session.userId(), keys: await req.session.keys() };
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify(body));
      }),
    );
    const port = portOf(server);

    /** What a new session's cookie must never be: the victim's or any value the client sent. */
    function assertFresh(token: string | undefined, sent: string): void {
      assert.ok(token !== undefined && isWellFormedToken(token), `fresh token: ${String(token)}`);
      assert.notEqual(token, victim);
      assert.ok(!sent.includes(token), 'the new token is one the client sent');
    }

    const http = new Reach();
    const properties = [
      fuzzProperty(
        'readCookie never throws and keeps the first of duplicate names',
        'pure',
        fc.property(
          cookieHeader(victim),
          octetValue,
          octetValue,
          fc.array(fc.tuple(fc.stringMatching(/^[a-z]{1,8}$/), octetValue), { maxLength: 3 }),
          (header, first, second, others) => {
            const read = readCookie(header, NAME);
            if (!header.includes(NAME)) assert.equal(read, undefined);
            const prefix = others.map(([k, v]) => `${k}=${v}; `).join('');
            const duplicated = `${prefix}${NAME}=${first}; ${NAME}=${second}`;
            assert.equal(readCookie(duplicated, NAME), first);
          },
        ),
      ),
      fuzzProperty(
        'readCookie finds what the cookie package parses, for any header and name',
        'pure',
        fc.property(
          fc.oneof(cookieHeader(victim), cookieSoup),
          fc.oneof({ weight: 3, arbitrary: fc.constant(NAME) }, soupName),
          (header, name) => {
            // The `cookie` package is the reference; readCookie only skips building the object.
            assert.equal(readCookie(header, name), parse(header)[name]);
          },
        ),
      ),
      fuzzProperty(
        'session load: any Cookie header reads as anonymous and a write gets a fresh token',
        'pure',
        fc.asyncProperty(cookieHeader(victim), fc.boolean(), async (cookie, write) => {
          events.length = 0;
          const session = sessions.fromRequest({ cookie, secure: true });
          if (write) await session.set('n', 1);
          assert.equal(await session.userId(), null);
          assert.deepEqual(await session.keys(), write ? ['n'] : []);
          const result = await sessions.commit(session);
          if (write) {
            const token = new RegExp(`^${NAME}=([^;]+)`).exec(result.setCookie ?? '')?.[1];
            assertFresh(token, cookie);
            await store.delete(hashToken(token!));
          } else {
            assert.equal(result.setCookie, null);
          }
          // Events name sessions by public id (a hash prefix) only, never by cookie contents.
          for (const event of events) assert.match(event, EVENT);
        }),
      ),
      fuzzProperty(
        'node:http: hostile Cookie headers never get a 5xx, an echo or the victim session',
        'http',
        fc.asyncProperty(
          fc.array(wireCookie(victim), { maxLength: 4 }),
          fc.boolean(),
          async (cookies, write) => {
            const head = requestHead(write ? 'POST' : 'GET', write ? '/write' : '/read', [
              ...cookies.map((c) => [c.name, c.bytes] as const),
              ['Content-Length', '0'],
            ]);
            const response = await rawRequest(port, head);
            assert.ok(response.status < 500, `status ${String(response.status)}`);
            http.hit(response.status === 200);
            const sent = cookies.map((c) => c.latin1).join('\n');
            const echoed = textWithoutSetCookie(response);
            for (const cookie of cookies) {
              for (const part of [cookie.latin1, ...cookie.latin1.split(/[;=]/)]) {
                if (distinctive(part)) assert.ok(!echoed.includes(part), `echo of ${part}`);
              }
            }
            if (response.status !== 200) return;
            assert.deepEqual(JSON.parse(response.body), { user: null, keys: write ? ['n'] : [] });
            const set = setCookieValues(response, NAME);
            if (write) {
              assert.equal(set.length, 1);
              assertFresh(set[0], sent);
              await store.delete(hashToken(set[0]!));
            } else {
              assert.deepEqual(set, []);
            }
          },
        ),
        async () => {
          http.check('Cookie headers over HTTP', 0.6);
          // The oracle is live: the victim's own token, first among duplicates, is adopted.
          const control = await rawRequest(
            port,
            requestHead('GET', '/read', [
              ['Cookie', `a=b; ${NAME}=${victim}; ${NAME}=${victim.slice(1)}X`],
            ]),
          );
          assert.deepEqual(JSON.parse(control.body), { user: 'victim', keys: ['secret'] });
        },
      ),
    ];
    return { properties, close: () => server.close() };
  },
};
