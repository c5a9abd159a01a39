import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '../helpers/http.js';
import { logIn } from '../e2e/demo.js';

const ENTRY = 'examples/demo/server.ts';

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  readonly output: () => string;
  /** Milliseconds from spawn to the URL being printed (reported, not asserted). */
  readonly ms: number;
}

/** Starts the demo exactly as `npm start` does and waits for it to print its URL. */
function start(env: Record<string, string>): Promise<Started> {
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    ['--conditions=latchkey-source', '--import', 'tsx', ENTRY],
    {
      env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LATCHKEY_SECRET: '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no URL printed within 30 s:\n${out}`));
    }, 30_000);
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(out);
      // The banner is one write ending with the demo-user line; wait for all of it.
      if (match?.[1] !== undefined && /demo user[^\n]*\n/.test(out)) {
        clearTimeout(timer);
        resolve({ child, url: match[1], output: () => out, ms: performance.now() - t0 });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`exited with ${String(code)} before listening:\n${out}`));
    });
  });
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) {
      resolve();
      return;
    }
    child.once('exit', () => {
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Runs the demo to completion (for configuration errors): exit code and output. */
function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(
    process.execPath,
    ['--conditions=latchkey-source', '--import', 'tsx', ENTRY],
    {
      env: { ...process.env, PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr.on('data', (c: Buffer) => (output += c.toString()));
  return new Promise((resolve) =>
    child.once('exit', (code) => {
      resolve({ code, output });
    }),
  );
}

describe('demo app start-up (npm start)', () => {
  let dataDir: string;
  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'latchkey-demo-start-'));
  });
  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('starts on SQLite with no setup, prints the URL, generates and keeps a secret', async (t) => {
    const first = await start({ LATCHKEY_DATA_DIR: dataDir });
    t.diagnostic(`cold start to URL printed: ${first.ms.toFixed(0)} ms`);
    try {
      assert.match(first.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      const page = await fetch(`${first.url}/login`);
      assert.equal(page.status, 200);
      assert.match(first.output(), /sessions: sqlite/);
      assert.match(first.output(), /generated a new secret/);
      assert.match(first.output(), /sign up at http:\/\/127\.0\.0\.1:\d+\/signup/);
      const secret = await stat(join(dataDir, 'secret'));
      assert.equal(secret.mode & 0o777, 0o600);
    } finally {
      await stop(first.child);
    }
  });

  it('seeds LATCHKEY_DEMO_USER, and sessions survive a restart (same secret, same SQLite file)', async (t) => {
    const env = {
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_DEMO_USER: 'demo',
      LATCHKEY_DEMO_PASSWORD: 'demo password 123',
    };
    const first = await start(env);
    t.diagnostic(`warm start with seeding: ${first.ms.toFixed(0)} ms`);
    let cookie: string;
    try {
      assert.match(first.output(), /demo user "demo" created/);
      assert.doesNotMatch(first.output(), /generated a new secret/, 'the kept secret is reused');
      const c = new Client(first.url);
      assert.equal((await logIn(c, 'demo', 'demo password 123')).status, 303);
      cookie = c.cookieHeader();
    } finally {
      await stop(first.child);
    }
    const second = await start(env);
    try {
      assert.match(second.output(), /demo user "demo" already exists/);
      const me = await fetch(`${second.url}/api/me`, { headers: { cookie } });
      assert.equal(me.status, 200);
      assert.deepEqual(await me.json(), { username: 'demo' });
    } finally {
      await stop(second.child);
    }
  });

  it('refuses a bad configuration at start-up, naming the variable to change', async () => {
    const store = await run({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_STORE: 'mongodb' });
    assert.equal(store.code, 1);
    assert.match(
      store.output,
      /LATCHKEY_STORE must be one of sqlite, memory, redis, postgres, file/,
    );
    const secret = await run({ LATCHKEY_DATA_DIR: dataDir, LATCHKEY_SECRET: 'too short' });
    assert.equal(secret.code, 1);
    assert.match(secret.output, /LATCHKEY_SECRET must be at least 32 bytes/);
    const timeouts = await run({
      LATCHKEY_DATA_DIR: dataDir,
      LATCHKEY_IDLE_TIMEOUT: '2h',
      LATCHKEY_ABSOLUTE_TIMEOUT: '1h',
    });
    assert.equal(timeouts.code, 1);
    assert.match(timeouts.output, /idle/i);
  });
});
