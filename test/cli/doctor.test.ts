import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { runDoctor, type CheckResult } from '../../src/cli/doctor.js';
import type { TestServer } from '../helpers/http.js';
import { PASSWORD, startFixture, USER } from './fixture-apps.js';

const run = promisify(execFile);
const main = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));
const cli = (args: string[]) =>
  run(process.execPath, ['--conditions=latchkey-source', '--import', 'tsx', main, ...args], {
    env: { ...process.env, NODE_OPTIONS: '' },
  });

const common = {
  loginPath: '/login',
  logoutPath: '/logout',
  protectedPath: '/api/me',
  usernameField: 'username',
  passwordField: 'password',
};

function statusOf(results: readonly CheckResult[], id: string): string[] {
  return results.filter((r) => r.id === id).map((r) => r.status);
}

describe('latchkey doctor', () => {
  let good: TestServer;
  let weak: TestServer;
  before(async () => {
    good = await startFixture(true);
    weak = await startFixture(false);
  });
  after(async () => {
    await good.close();
    await weak.close();
  });

  it('passes every check against an app using Latchkey as intended', async () => {
    const results = await runDoctor({
      ...common,
      url: good.url,
      username: USER,
      password: PASSWORD,
    });
    const failures = results.filter((r) => r.status !== 'pass');
    assert.deepEqual(failures, []);
    const ids = new Set(results.map((r) => r.id));
    for (const id of [
      'SEC-01',
      'SEC-02',
      'SEC-03',
      'SEC-04',
      'SEC-05',
      'SEC-08',
      'SEC-09',
      'SEC-10',
      'SEC-11',
      'SEC-12',
      'SEC-13',
      'SEC-16',
      'SEC-19',
      'SEC-28',
      'SEC-29',
      'SEC-30',
      'SEC-40',
      'SEC-45',
    ]) {
      assert.ok(ids.has(id), `${id} was checked`);
    }
  });

  it('finds the classic mistakes in a weak app', async () => {
    const results = await runDoctor({
      ...common,
      url: weak.url,
      username: USER,
      password: PASSWORD,
    });
    for (const id of [
      'SEC-03',
      'SEC-08',
      'SEC-09',
      'SEC-11',
      'SEC-16',
      'SEC-19',
      'SEC-28',
      'SEC-29',
      'SEC-30',
      'SEC-40',
      'SEC-45',
    ]) {
      assert.ok(
        statusOf(results, id).includes('fail'),
        `${id} should fail: ${JSON.stringify(results.filter((r) => r.id === id))}`,
      );
    }
    assert.deepEqual(statusOf(results, 'SEC-05'), ['pass'], 'hostile cookies are still handled');
  });

  it('skips the login flows without credentials, saying why', async () => {
    const results = await runDoctor({ ...common, url: good.url });
    const skipped = results.filter((r) => r.status === 'skip');
    assert.ok(skipped.length >= 4);
    assert.ok(skipped.every((r) => r.detail.includes('--username')));
    assert.equal(results.filter((r) => r.status === 'fail').length, 0);
  });

  it('exits 0 on a clean app and 1 when a check fails, printing a table', async () => {
    const ok = await cli(['doctor', good.url, '--username', USER, '--password', PASSWORD]);
    assert.match(ok.stdout, /SEC-08\s+Session cookie is Secure\s+PASS/);
    assert.match(ok.stdout, /\d+ passed, 0 failed/);
    await assert.rejects(
      cli(['doctor', weak.url, '--username', USER, '--password', PASSWORD]),
      (error: { code?: number; stdout?: string }) => {
        assert.equal(error.code, 1);
        assert.match(error.stdout ?? '', /SEC-08\s+Session cookie is Secure\s+FAIL/);
        return true;
      },
    );
  });

  it('rejects a bad URL with a usage error and a non-zero exit code', async () => {
    await assert.rejects(
      cli(['doctor', 'not a url']),
      (error: { code?: number; stderr?: string }) => {
        assert.notEqual(error.code, 0);
        assert.match(error.stderr ?? '', /expected an http:\/\/ or https:\/\/ URL/);
        return true;
      },
    );
  });
});

describe('latchkey keygen', () => {
  it('prints 32 random bytes as base64url, different every time', async () => {
    const [a, b] = await Promise.all([cli(['keygen']), cli(['keygen'])]);
    assert.match(a.stdout.trim(), /^[A-Za-z0-9_-]{43}$/);
    assert.notEqual(a.stdout, b.stdout);
  });

  it('refuses secrets shorter than 32 bytes', async () => {
    await assert.rejects(cli(['keygen', '--bytes', '16']), /32 to 1024/);
  });

  it('has --help for every command', async () => {
    const { stdout } = await cli(['--help']);
    assert.match(stdout, /keygen/);
    assert.match(stdout, /doctor/);
    assert.match((await cli(['doctor', '--help'])).stdout, /--protected-path/);
  });
});
