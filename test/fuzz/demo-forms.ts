import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escape } from '../../examples/demo/pages.js';
import { csrfOf, getPage, logIn, signUp, startTestDemo } from '../e2e/demo.js';
import { Client } from '../helpers/http.js';
import { fuzzProperty, hostileString, Reach, type FuzzSuite } from './harness.js';
import { rawRequest, requestHead, setCookieValues, type RawResponse } from './raw-http.js';

/**
 * The demo app's POST routes (examples/demo/routes.ts) under arbitrary bodies: forms with any
 * fields and values, JSON, wrong content types, invalid UTF-8, bodies past the 16 KB limit, with
 * a valid CSRF token most of the time so the bodies reach the route logic.
 *
 * Echo oracle: every field value carries a canary `"'><i>zq<field>`. A password, a session id or
 * any other field must never come back in any form. The username is legitimately shown again on
 * a failed login or sign-up, so it must come back HTML-escaped, exactly, and never raw.
 */

const NAME = '__Host-sid';
const OWNER = 'fuzz-owner';
const PASSWORD = 'correct horse battery staple';

const ROUTES = [
  '/login',
  '/signup',
  '/logout',
  '/account/password',
  '/account/sessions/revoke',
  '/account/sessions/revoke-others',
] as const;
type Route = (typeof ROUTES)[number];
const FIELDS = [
  'username',
  'password',
  'remember',
  'session',
  'current_password',
  'new_password',
] as const;

const canary = (field: string): string => `"'><i>zq${field}`;

/** What a URLSearchParams round trip makes of a string: lone surrogates become U+FFFD. */
function wellFormed(value: string): string {
  return value.replace(
    /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g,
    '\ufffd',
  );
}

/** Without the characters node's parser refuses in a header value (controls but tab). */
function headerSafe(text: string): string {
  let out = '';
  for (const c of text) if (c === '\t' || (c >= ' ' && c !== '\x7f')) out += c;
  return out;
}

/** A field value: fuzz around the field's canary (most of the time), or plausible input. */
function fieldValue(field: string): fc.Arbitrary<string> {
  const plain =
    field === 'username'
      ? fc.stringMatching(/^[a-z0-9._@+-]{1,20}$/)
      : fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 });
  return fc.oneof(
    {
      weight: 3,
      arbitrary: fc
        .tuple(hostileString(60), hostileString(20))
        .map(([a, b]) => a + canary(field) + b),
    },
    { weight: 1, arbitrary: plain },
    { weight: 1, arbitrary: hostileString(80) },
  );
}

type Body =
  | { readonly kind: 'form' }
  | { readonly kind: 'json' }
  | { readonly kind: 'type'; readonly type: string | null }
  | { readonly kind: 'raw'; readonly bytes: Uint8Array }
  | { readonly kind: 'huge'; readonly size: number; readonly fragment: string };

interface DemoCase {
  readonly route: Route;
  readonly owner: boolean;
  /** The session's own token, none, or junk. */
  readonly csrf: 'valid' | 'missing' | { readonly junk: string };
  readonly fields: readonly (readonly [string, string])[];
  readonly returnTo: string | null;
  readonly body: Body;
}

const demoCase: fc.Arbitrary<DemoCase> = fc.record({
  route: fc.constantFrom(...ROUTES),
  owner: fc.boolean(),
  csrf: fc.oneof(
    { weight: 8, arbitrary: fc.constant('valid') },
    { weight: 1, arbitrary: fc.constant('missing') },
    { weight: 1, arbitrary: hostileString(100).map((junk) => ({ junk })) },
  ),
  fields: fc.oneof(
    {
      weight: 4,
      arbitrary: fc.array(
        fc.oneof(
          {
            weight: 6,
            arbitrary: fc.oneof(...FIELDS.map((f) => fieldValue(f).map((v) => [f, v] as const))),
          },
          { weight: 1, arbitrary: fc.tuple(hostileString(12), fieldValue('extra')) },
        ),
        { maxLength: 8 },
      ),
    },
    {
      // What a real sign-up or login form sends, so some sign-ups succeed and log in.
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.stringMatching(/^[a-z0-9._@+-]{1,20}$/),
          fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 }),
          fc.boolean(),
        )
        .map(([username, password, remember]) => [
          ['username', username] as const,
          ['password', password] as const,
          ...(remember ? [['remember', 'on'] as const] : []),
        ]),
    },
  ),
  returnTo: fc.option(
    fc.tuple(hostileString(30), fc.constantFrom('/', '')).map(([s, p]) => p + s + canary('return')),
    { nil: null },
  ),
  body: fc.oneof(
    { weight: 8, arbitrary: fc.constant({ kind: 'form' as const }) },
    { weight: 1, arbitrary: fc.constant({ kind: 'json' as const }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom(
            'text/plain',
            'multipart/form-data; boundary=x',
            'application/json',
            '',
            null,
          ),
          hostileString(40).map(headerSafe),
        )
        .filter((t) => t === null || !/^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(t))
        .map((type) => ({ kind: 'type' as const, type })),
    },
    {
      weight: 1,
      arbitrary: fc
        .uint8Array({ maxLength: 300 })
        .map((bytes) => ({ kind: 'raw' as const, bytes })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.integer({ min: 17 * 1024, max: 100 * 1024 }),
          fc.constantFrom('a', '%FF', '&x=', canary('huge')),
        )
        .map(([size, fragment]) => ({ kind: 'huge' as const, size, fragment })),
    },
  ),
});

/** The request body and its content type for a case, with the CSRF token put first. */
function encode(c: DemoCase, token: string | undefined): { type: string | null; body: Buffer } {
  const pairs: [string, string][] = token === undefined ? [] : [['_csrf', token]];
  for (const [k, v] of c.fields) pairs.push([k, v]);
  const form = new URLSearchParams(pairs).toString();
  const formType = 'application/x-www-form-urlencoded';
  switch (c.body.kind) {
    case 'form':
      return { type: formType, body: Buffer.from(form) };
    case 'json':
      return {
        type: 'application/json',
        body: Buffer.from(JSON.stringify(Object.fromEntries(pairs))),
      };
    case 'type':
      return { type: c.body.type, body: Buffer.from(form) };
    case 'raw': {
      // Bytes as they come, invalid UTF-8 and broken %-escapes included, around a raw canary.
      const head = token === undefined ? '' : `_csrf=${token}&`;
      return {
        type: formType,
        body: Buffer.concat([
          Buffer.from(`${head}username=`),
          c.body.bytes,
          Buffer.from(`&password=${canary('raw')}`),
          c.body.bytes,
        ]),
      };
    }
    case 'huge': {
      const { size, fragment } = c.body;
      return {
        type: formType,
        body: Buffer.from(`${form}&username=${fragment.repeat(Math.ceil(size / fragment.length))}`),
      };
    }
  }
}

/** The echo oracle on one response. */
function assertNoEcho(c: DemoCase, response: RawResponse): void {
  // Never raw HTML from the request, whichever field it came in.
  assert.ok(!response.text.includes('<i>zq'), 'raw canary in the response');
  // Never a password, a session id, any other field, in any form. (The login form keeps a safe
  // return_to in its action URL, URL-encoded, so `return` is left to the check above.)
  for (const field of [...FIELDS, 'extra', 'raw', 'huge']) {
    if (field !== 'username') {
      assert.ok(!response.body.includes(`zq${field}`), `the ${field} field is echoed`);
    }
  }
  const username = c.fields.find(([k]) => k === 'username')?.[1];
  if (response.body.includes('zqusername') && username !== undefined && c.body.kind === 'form') {
    assert.ok(
      response.body.includes(escape(wellFormed(username))),
      'the username is shown, but not escaped as a whole',
    );
  }
}

export const demoFormsSuite: FuzzSuite = {
  name: 'demo app POST routes',
  async start() {
    const demo = await startTestDemo();
    const port = Number(new URL(demo.url).port);
    const signedUp = await signUp(new Client(demo.url), OWNER, PASSWORD).catch(() => null);
    if (signedUp?.status !== 303) {
      await demo.close();
      throw new Error(`the fuzz owner could not sign up (${String(signedUp?.status)})`);
    }

    /** A browser: its cookies and a CSRF token of its session, reused until the session changes. */
    interface Browser {
      client: Client;
      token: string | null;
    }
    const owner: Browser = { client: new Client(demo.url), token: null };
    const visitor: Browser = { client: new Client(demo.url), token: null };

    /** The logged-in owner's token, logging in again when a case logged the owner out (and
     * waiting out the login throttle on the app's clock). */
    async function ownerToken(): Promise<string> {
      if (owner.token !== null) return owner.token;
      for (let attempt = 0; attempt < 5; attempt++) {
        const page = await getPage(owner.client, '/dashboard');
        if (page.status === 200) return (owner.token = csrfOf(page.body));
        owner.client = new Client(demo.url);
        const login = await logIn(owner.client, OWNER, PASSWORD);
        if (login.status === 429) demo.advance(Number(login.headers.get('retry-after')) * 1000 + 1);
      }
      throw new Error('the fuzz owner could not log in again');
    }

    /** An anonymous visitor's token, from the login form of a fresh browser when needed. */
    async function visitorToken(): Promise<string> {
      if (visitor.token !== null) return visitor.token;
      visitor.client = new Client(demo.url);
      return (visitor.token = csrfOf((await getPage(visitor.client, '/login')).body));
    }

    const reach = new Reach();
    const property = fc.asyncProperty(demoCase, async (c) => {
      const asOwner = c.owner || c.route.startsWith('/account/');
      const browser = asOwner ? owner : visitor;
      let token: string | undefined = asOwner ? await ownerToken() : await visitorToken();
      const client = browser.client;
      if (c.csrf === 'missing') token = undefined;
      else if (c.csrf !== 'valid') token = c.csrf.junk;
      const { type, body } = encode(c, token);
      const path =
        c.returnTo === null || c.route !== '/login'
          ? c.route
          : `${c.route}?${new URLSearchParams({ return_to: c.returnTo }).toString()}`;
      const headers: [string, string | Uint8Array][] = [
        ['Cookie', client.cookieHeader()],
        ['Sec-Fetch-Site', 'same-origin'],
        ['Accept', 'text/html'],
        ['Content-Length', String(body.length)],
      ];
      if (type !== null) headers.push(['Content-Type', Buffer.from(type, 'utf8')]);
      const response = await rawRequest(port, requestHead('POST', path, headers), body);
      // A new or cleared session cookie: the session changed, so its token must be fetched again.
      for (const value of setCookieValues(response, NAME)) {
        if (value === '') client.cookies.delete(NAME);
        else client.cookies.set(NAME, value);
        browser.token = null;
        if (!asOwner) visitor.client = new Client(demo.url);
      }

      assert.ok(response.status < 500, `status ${String(response.status)}`);
      if (c.body.kind === 'huge') {
        // Refused past 16 KB. node:http may reset the connection after the 413 while the client
        // is still uploading, so the answer can be lost; it is never a 5xx.
        assert.ok([0, 413].includes(response.status), `status ${String(response.status)}`);
      } else {
        assert.notEqual(response.status, 0, 'no response');
        if (c.body.kind === 'json' || c.body.kind === 'type') assert.equal(response.status, 415);
        else if (c.csrf === 'valid') assert.notEqual(response.status, 403, 'valid token refused');
        else assert.equal(response.status, 403);
      }
      reach.hit(![403, 413, 415].includes(response.status));
      assertNoEcho(c, response);
    });

    return {
      properties: [
        fuzzProperty(
          'any body to any POST route: no 5xx, no echo, the username shown only escaped',
          'http',
          property,
          () => {
            reach.check('demo POST routes', 0.3);
          },
        ),
      ],
      close: () => demo.close(),
    };
  },
};
