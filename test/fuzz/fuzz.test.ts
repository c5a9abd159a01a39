import { cookieHeaderSuite } from './cookie-header.js';
import { csrfSuite } from './csrf.js';
import { demoFormsSuite } from './demo-forms.js';
import { fuzzTests } from './harness.js';
import { sealedSuite } from './sealed.js';
import { tokenSuite } from './token.js';

// Short runs of every fuzz property (about ten seconds in all); `npm run fuzz` (scripts/fuzz.ts)
// runs the same properties for millions of cases. One file, so the start-up is paid once. A
// failure prints fast-check's seed and path: replay it with
//   npm run fuzz -- --only "<property name>" --seed <seed> --path <path>
await fuzzTests(tokenSuite, { pure: 3000, http: 0 });
await fuzzTests(cookieHeaderSuite, { pure: 1000, http: 300 });
await fuzzTests(sealedSuite, { pure: 1000, http: 200 });
await fuzzTests(csrfSuite, { pure: 1000, http: 200 });
await fuzzTests(demoFormsSuite, { pure: 0, http: 150 });
