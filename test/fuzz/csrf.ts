import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import fc from 'fast-check';
import { withSession } from '../../src/adapters/node.js';
import { createSessions } from '../../src/core/manager.js';
import type { Session } from '../../src/core/session.js';
import { createCsrf, csrfNode } from '../../src/csrf/index.js';
import { maskSecret, tokenMatches } from '../../src/csrf/token.js';
import { memoryStore } from '../../src/stores/memory.js';
import {
  BASE64URL,
  damaged,
  distinctive,
  fuzzProperty,
  hostileString,
  Reach,
  type FuzzSuite,
} from './harness.js';
import { portOf, rawRequest, requestHead } from './raw-http.js';
import { listen } from '../helpers/http.js';

/**
 * CSRF tokens (src/csrf): a masked token must verify only for the session whose secret it masks;
 * random strings, damaged tokens, another session's tokens and non-strings are refused (false,
 * 403) without an exception. Masking must make every token different, and every one valid.
 */

const NAME = '__Host-sid';
const NOW = Date.UTC(2026, 0, 1);

/** The secret a masked token carries (mask XOR masked half). */
function unmask(token: string): Buffer {
  const raw = Buffer.from(token, 'base64url');
  const half = raw.length / 2;
  return Buffer.from(raw.subarray(0, half).map((m, i) => m ^ (raw[half + i] ?? 0)));
}

const secretArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => Buffer.from(b));

/** Anything a client can put where a token goes, parsed bodies included. */
const junkToken = fc.oneof(
  hostileString(120),
  fc.string({ unit: fc.constantFrom(...BASE64URL.split('')), minLength: 86, maxLength: 86 }),
  fc.uint8Array({ minLength: 64, maxLength: 64 }).map((b) => Buffer.from(b).toString('base64url')),
  fc.anything(),
);

export const csrfSuite: FuzzSuite = {
  name: 'CSRF tokens',
  async start() {
    const sessions = createSessions({ store: memoryStore(), now: () => NOW });
    const csrf = createCsrf();
    const protect = csrfNode(csrf);

    /** A stored session with a CSRF secret: its cookie and its secret. */
    async function sessionWithSecret(): Promise<{ cookie: string; secret: Buffer }> {
      const session = sessions.fromRequest({ cookie: undefined, secure: true });
      const token = await csrf.token(session);
      const { setCookie } = await sessions.commit(session);
      const value = new RegExp(`^${NAME}=([^;]+)`).exec(setCookie ?? '')?.[1];
      assert.ok(value !== undefined);
      return { cookie: `${NAME}=${value}`, secret: unmask(token) };
    }
    const a = await sessionWithSecret();
    const b = await sessionWithSecret();
    const open = (cookie: string): Session => sessions.fromRequest({ cookie, secure: true });

    const server = await listen(
      withSession(sessions, async (req, res) => {
        const form = new URLSearchParams(await text(req));
        if (!(await protect(req, res, form.get('_csrf') ?? undefined))) return;
        res.end('accepted');
      }),
    );
    const port = portOf(server);
    const http = new Reach();

    // Genuine tokens to damage, made once: generation stays replayable from fast-check's seed,
    // and the damage arbitraries are built once per token, not per case.
    const owns = Array.from({ length: 4 }, () => maskSecret(a.secret));
    const fixedSecret = randomBytes(32);
    const fixedTokens = Array.from({ length: 4 }, () => maskSecret(fixedSecret));

    /** Tokens to try on session A: valid ones (control), and every kind that must fail. */
    const candidate = fc.oneof(
      { weight: 2, arbitrary: fc.constant({ kind: 'own' as const }) },
      { weight: 2, arbitrary: fc.constant({ kind: 'other-session' as const }) },
      {
        weight: 3,
        arbitrary: fc.oneof(
          ...owns.map((own) =>
            damaged(own, BASE64URL).map((value) => ({ kind: 'damaged' as const, own, value })),
          ),
        ),
      },
      { weight: 3, arbitrary: junkToken.map((value) => ({ kind: 'junk' as const, value })) },
    );
    type Candidate =
      | { kind: 'own' }
      | { kind: 'other-session' }
      | { kind: 'damaged'; own: string; value: string }
      | { kind: 'junk'; value: unknown };

    /**
     * The token to send, and whether it must be accepted. `delivered` is what the server will see
     * of a string: in an HTTP header, without the spaces and tabs around it (RFC 9110 OWS) and
     * only up to a line break, so a damaged token that only gained those is the token itself.
     */
    function resolve(
      c: Candidate,
      delivered: (sent: string) => string = (sent) => sent,
    ): { token: unknown; valid: boolean } {
      if (c.kind === 'own') return { token: maskSecret(a.secret), valid: true };
      if (c.kind === 'other-session') return { token: maskSecret(b.secret), valid: false };
      if (c.kind === 'damaged') {
        return { token: c.value, valid: delivered(c.value) === c.own };
      }
      return { token: c.value, valid: false };
    }

    const properties = [
      fuzzProperty(
        'tokenMatches: anything that is not a mask of the secret is false, never an exception',
        'pure',
        fc.property(secretArb, junkToken, (secret, token) => {
          assert.equal(tokenMatches(token, secret), false);
        }),
      ),
      fuzzProperty(
        'two masks of one secret differ and both match; a mask of another secret does not',
        'pure',
        fc.property(secretArb, secretArb, (secret, other) => {
          fc.pre(!secret.equals(other));
          const first = maskSecret(secret);
          const second = maskSecret(secret);
          assert.notEqual(first, second);
          assert.match(first, /^[A-Za-z0-9_-]{86}$/);
          assert.ok(tokenMatches(first, secret) && tokenMatches(second, secret));
          assert.equal(tokenMatches(maskSecret(other), secret), false);
        }),
      ),
      fuzzProperty(
        'a masked token with any bit flipped is refused',
        'pure',
        fc.property(
          fc.constantFrom(...fixedTokens),
          fc.nat({ max: 63 }),
          fc.nat({ max: 7 }),
          (token, byte, bit) => {
            const raw = Buffer.from(token, 'base64url');
            raw[byte]! ^= 1 << bit;
            assert.equal(tokenMatches(raw.toString('base64url'), fixedSecret), false);
          },
        ),
      ),
      fuzzProperty(
        'a masked token with any character changed, cut or added is refused',
        'pure',
        fc.property(
          fc.oneof(
            ...fixedTokens.map((token) =>
              damaged(token, BASE64URL).map((value) => [token, value] as const),
            ),
          ),
          ([token, value]) => {
            // One spelling per token: even a change confined to the last character's four spare
            // bits (86 base64url characters carry 516 bits for 512) is refused.
            assert.equal(tokenMatches(value, fixedSecret), value === token);
          },
        ),
      ),
      fuzzProperty(
        'verify: only a token of the request session passes, by form field or header',
        'pure',
        fc.asyncProperty(candidate, fc.boolean(), async (c, inHeader) => {
          const { token, valid } = resolve(c);
          const viaHeader = inHeader && typeof token === 'string';
          const verdict = await csrf.verify({
            method: 'POST',
            header: (name) =>
              name === 'sec-fetch-site'
                ? 'same-origin'
                : name === 'x-csrf-token' && viaHeader
                  ? token
                  : undefined,
            bodyToken: viaHeader ? undefined : token,
            session: open(a.cookie),
          });
          assert.equal(verdict.ok, valid, JSON.stringify(verdict));
          if (!verdict.ok) assert.match(verdict.reason, /^(bad|missing)-token$/);
        }),
      ),
      fuzzProperty(
        'node:http: forged, damaged and foreign tokens get 403, the own token 200, no echo',
        'http',
        fc.asyncProperty(candidate, fc.boolean(), async (c, inHeader) => {
          // In a header, a CR or LF ends the value (what follows is another header, or a 400).
          const { token, valid } = resolve(c, (sent) =>
            inHeader ? (sent.split(/[\r\n]/)[0] ?? '').replace(/^[ \t]+|[ \t]+$/g, '') : sent,
          );
          const sent = typeof token === 'string' ? token : (JSON.stringify(token) ?? String(token));
          const body = inHeader ? '' : new URLSearchParams({ _csrf: sent }).toString();
          const headers: [string, string | Uint8Array][] = [
            ['Cookie', a.cookie],
            ['Sec-Fetch-Site', 'same-origin'],
            ['Content-Type', 'application/x-www-form-urlencoded'],
            ['Content-Length', String(Buffer.byteLength(body))],
          ];
          if (inHeader) headers.push(['X-CSRF-Token', Buffer.from(sent, 'utf8')]);
          const response = await rawRequest(
            port,
            requestHead('POST', '/', headers),
            Buffer.from(body),
          );
          assert.ok(response.status < 500, `status ${String(response.status)}`);
          http.hit(response.status === 200 || response.status === 403);
          if (response.status === 400) return; // node's parser refused the header bytes
          assert.equal(response.status, valid ? 200 : 403);
          const latin1 = Buffer.from(sent, 'utf8').toString('latin1');
          if (distinctive(latin1)) assert.ok(!response.text.includes(latin1), 'token echoed');
        }),
        () => {
          http.check('CSRF over HTTP', 0.7);
        },
      ),
    ];
    return { properties, close: () => server.close() };
  },
};

async function text(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}
