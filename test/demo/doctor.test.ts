import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runDoctor } from '../../src/cli/doctor.js';
import { startTestDemo, type TestDemo } from '../e2e/demo.js';

describe('latchkey doctor against the demo app', () => {
  let demo: TestDemo;
  before(async () => {
    demo = await startTestDemo({
      LATCHKEY_DEMO_USER: 'doctor',
      LATCHKEY_DEMO_PASSWORD: 'a doctor password',
    });
  });
  after(async () => {
    await demo.close();
  });

  it('reports no failures with the seeded user, and runs the authenticated checks', async () => {
    const results = await runDoctor({
      url: demo.url,
      loginPath: '/login',
      logoutPath: '/logout',
      protectedPath: '/api/me',
      username: 'doctor',
      password: 'a doctor password',
      usernameField: 'username',
      passwordField: 'password',
    });
    const failed = results.filter((r) => r.status === 'fail');
    assert.deepEqual(failed, []);
    const passed = new Set(results.filter((r) => r.status === 'pass').map((r) => r.id));
    for (const id of [
      'SEC-05',
      'SEC-45',
      'SEC-40',
      'SEC-08',
      'SEC-09',
      'SEC-11',
      'SEC-13',
      'SEC-19',
      'SEC-04',
      'SEC-16',
      'SEC-30',
      'SEC-29',
      'SEC-28',
    ]) {
      assert.ok(passed.has(id), `${id} passed`);
    }
  });
});
