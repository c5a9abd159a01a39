import fc from 'fast-check';
import { after, describe, it } from 'node:test';

/**
 * The shape every fuzz area exports, shared by the short runs of `npm test` (test/fuzz/fuzz.test.ts)
 * and the long runs of scripts/fuzz.ts: a suite starts what its properties need once (a server,
 * a session manager, a key ring), and each property is a fast-check property whose predicate
 * throws (node:assert) on a violation, so fast-check shrinks it and prints seed and path.
 */
export interface FuzzSuite {
  readonly name: string;
  start(): Promise<RunningSuite>;
}

export interface RunningSuite {
  readonly properties: readonly FuzzProperty[];
  close(): Promise<void>;
}

export interface FuzzProperty {
  readonly name: string;
  /** `pure`: in-process, thousands of cases per second. `http`: one request (or more) per case. */
  readonly kind: 'pure' | 'http';
  readonly property: fc.IRawProperty<unknown>;
  /**
   * Called after each run: asserts that the run was not vacuous (enough cases reached the code
   * under test, the control session still works), then resets its counts.
   */
  readonly sanity?: () => void | Promise<void>;
}

/** Runs counts per kind; `npm test` uses small ones, scripts/fuzz.ts large ones. */
export interface RunCounts {
  readonly pure: number;
  readonly http: number;
}

/** Wraps a property for a suite (its case type no longer matters once it runs). */
export function fuzzProperty<Ts>(
  name: string,
  kind: FuzzProperty['kind'],
  property: fc.IRawProperty<Ts>,
  sanity?: () => void | Promise<void>,
): FuzzProperty {
  return {
    name,
    kind,
    property,
    ...(sanity === undefined ? {} : { sanity }),
  };
}

/** Far above any case's cost, even 100 KB bodies on a loaded machine. */
const CASE_TIMEOUT_MS = 20_000;

/** One run of a property; rejects with fast-check's report (seed, path, counterexample). */
export async function runProperty(
  property: FuzzProperty,
  numRuns: number,
  params: { seed?: number; path?: string } = {},
): Promise<void> {
  // A case that hangs fails (after CASE_TIMEOUT_MS) instead of stalling the run.
  await fc.assert(property.property, { numRuns, timeout: CASE_TIMEOUT_MS, ...params });
  await property.sanity?.();
}

/**
 * Registers one node:test test per property of `suite`. Called with top-level await from the
 * test file, since a suite's properties exist only once it has started. A suite that fails to
 * start becomes one failing test (a rejected top-level await would leave the other suites'
 * servers open and the file hanging).
 */
export async function fuzzTests(suite: FuzzSuite, runs: RunCounts): Promise<void> {
  let running: RunningSuite;
  try {
    running = await suite.start();
  } catch (error) {
    describe(`fuzz: ${suite.name}`, () => {
      it('starts', () => {
        throw error;
      });
    });
    return;
  }
  describe(`fuzz: ${suite.name}`, () => {
    after(() => running.close());
    for (const property of running.properties) {
      const numRuns = runs[property.kind];
      it(`${property.name} (${String(numRuns)} cases)`, () => runProperty(property, numRuns));
    }
  });
}

/**
 * A counter of how many cases reached the code under test, for `sanity`: a fuzz run in which
 * nearly every case bounced off an earlier check (the HTTP parser, a content-type test) would
 * pass while proving nothing.
 */
export class Reach {
  cases = 0;
  reached = 0;

  hit(reached: boolean): void {
    this.cases++;
    if (reached) this.reached++;
  }

  /** Asserts at least `share` of the cases since the last check reached; then resets. */
  check(label: string, share: number): void {
    const { cases, reached } = this;
    this.cases = 0;
    this.reached = 0;
    if (cases === 0) return;
    if (reached < cases * share) {
      throw new Error(
        `${label}: only ${String(reached)} of ${String(cases)} cases reached the code under test`,
      );
    }
  }
}

/**
 * True when `value` is distinctive enough that finding it in a response proves an echo: long, and
 * not a run of a few repeated characters that could occur in any page by chance.
 */
export function distinctive(value: string): boolean {
  return value.length >= 10 && new Set(value).size >= 5;
}

/**
 * Strings a hostile client sends: any code point, lone surrogates, control characters, and the
 * characters that mean something in cookies, URLs, HTML and JSON, mixed.
 */
export const hostileString = (maxLength = 200): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength }),
    fc.string({ unit: 'binary-ascii', maxLength }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength,
    }),
    fc.string({
      unit: fc.constantFrom(
        ...'=;,"\'\\%<>&/ \t\r\n\0\x7f\u00ff\u2028\ufeff{}[]:+#?'.split(''),
        '%00',
        '%zz',
        '%E0%A4',
        '%C3',
        '%FF',
        '%',
        '__Host-sid',
        '__proto__',
        '\ud800',
      ),
      maxLength: Math.ceil(maxLength / 3),
    }),
  );

/** base64url, the alphabet of our tokens. */
export const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** A string of exactly the token's shape (43 base64url characters) that the server never issued. */
export const tokenShaped: fc.Arbitrary<string> = fc.string({
  unit: fc.constantFrom(...BASE64URL.split('')),
  minLength: 43,
  maxLength: 43,
});

/** `value` with one character replaced by a different one from `alphabet`. */
export function substituted(value: string, alphabet: string): fc.Arbitrary<string> {
  return fc
    .tuple(fc.nat({ max: value.length - 1 }), fc.constantFrom(...alphabet.split('')))
    .filter(([index, char]) => value[index] !== char)
    .map(([index, char]) => value.slice(0, index) + char + value.slice(index + 1));
}

/**
 * Every way of damaging a valid value: one character changed, deleted or inserted, truncated,
 * extended, or with a tail cut and other characters appended. Each result differs from `value`.
 *
 * With `anyCharacter` false, only characters of `alphabet` are written. Use that where a cookie
 * parser stands between the value and the code under test: it trims whitespace, stops at `;` and
 * strips quotes, so `value + " "` would legitimately read as `value` itself.
 */
export function damaged(
  value: string,
  alphabet: string,
  anyCharacter = true,
): fc.Arbitrary<string> {
  const at = fc.nat({ max: value.length - 1 });
  const char = fc.constantFrom(...alphabet.split(''));
  const variants = [
    substituted(value, alphabet),
    at.map((i) => value.slice(0, i) + value.slice(i + 1)),
    fc.tuple(at, char).map(([i, c]) => value.slice(0, i) + c + value.slice(i)),
    at.map((i) => value.slice(0, i)),
    fc.string({ unit: char, minLength: 1, maxLength: 12 }).map((s) => value + s),
    fc
      .tuple(at, fc.string({ unit: char, minLength: 1, maxLength: 12 }))
      .map(([i, s]) => value.slice(0, i) + s),
  ];
  if (anyCharacter) {
    variants.push(
      fc
        .tuple(at, fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }))
        .map(([i, c]) => value.slice(0, i) + c + value.slice(i + 1)),
      hostileString(40)
        .filter((s) => s.length > 0)
        .map((s) => value + s),
    );
  }
  return fc.oneof(...variants).filter((candidate) => candidate !== value);
}
