import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';

// `npm test` builds dist/ before running tests; this checks the package as a user imports it:
// by name, without the source condition the rest of the suite uses.
const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  exports: Record<string, unknown>;
};

describe('package exports', () => {
  const subpaths = Object.keys(pkg.exports).filter((p) => p !== './package.json');
  for (const subpath of subpaths) {
    const specifier = `latchkey${subpath.slice(1)}`;
    it(`${specifier} loads from dist/ and exports something`, () => {
      const out = execFileSync(
        process.execPath,
        [
          '--input-type=module',
          '-e',
          `const m = await import(${JSON.stringify(specifier)}); console.log(Object.keys(m).length)`,
        ],
        { encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
      );
      assert.ok(Number(out.trim()) > 0, `${specifier} has exports`);
    });
  }
});
