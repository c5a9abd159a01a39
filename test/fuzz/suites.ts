import { cookieHeaderSuite } from './cookie-header.js';
import { csrfSuite } from './csrf.js';
import { demoFormsSuite } from './demo-forms.js';
import type { FuzzSuite } from './harness.js';
import { sealedSuite } from './sealed.js';
import { tokenSuite } from './token.js';

/** Every fuzz suite, for scripts/fuzz.ts. */
export const SUITES: readonly FuzzSuite[] = [
  tokenSuite,
  cookieHeaderSuite,
  sealedSuite,
  csrfSuite,
  demoFormsSuite,
];
