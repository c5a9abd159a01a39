/**
 * A child process for the multi-process tests of the on-disk stores (file and SQLite). It opens
 * its own store on the shared location, prints "ready", waits for "go" on stdin (so sibling
 * workers start patching at the same moment), applies `count` patches to session `id`, each
 * setting one key `<prefix>-<i>`, and prints one JSON line: `{ applied, refused, errors }`.
 *
 * Usage: node --conditions=latchkey-source --import tsx fixtures-file-worker.ts '<json config>'
 * Tests import {@link runWorkers} from this file instead; it starts the workers and runs them.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import type { Store } from '../../src/core/store.js';
import { sampleRecord } from '../../src/testing/conformance.js';
import { fileStore } from '../../src/stores/file.js';
import { sqliteStore } from '../../src/stores/sqlite.js';

export interface WorkerConfig {
  readonly store: 'file' | 'sqlite';
  /** Directory of the file store, or path of the SQLite database. */
  readonly location: string;
  readonly id: string;
  readonly prefix: string;
  readonly count: number;
}

export interface WorkerResult {
  readonly applied: number;
  readonly refused: number;
  readonly errors: string[];
}

const WORKER = fileURLToPath(import.meta.url);

/**
 * The lost-update scenario both embedded stores must pass: two processes each patch their own keys
 * of one session (`kind` store at `location`) `count` times. Asserts every patch was applied and
 * every key, old and new, is there afterwards. Returns the session's id.
 */
export async function assertConcurrentPatchesKept(
  store: Store,
  kind: WorkerConfig['store'],
  location: string,
  count = 100,
): Promise<string> {
  const record = sampleRecord({ data: { before: '"kept"' } });
  await store.create(record, Date.now());
  const results = await runWorkers(
    ['a', 'b'].map((prefix) => ({ store: kind, location, id: record.id, prefix, count })),
  );
  for (const result of results)
    assert.deepEqual(result, { applied: count, refused: 0, errors: [] });
  const data = (await store.get(record.id, Date.now()))?.data ?? {};
  assert.equal(Object.keys(data).length, 2 * count + 1);
  assert.equal(data.before, '"kept"');
  for (let i = 0; i < count; i++) {
    assert.equal(data[`a-${i}`], String(i));
    assert.equal(data[`b-${i}`], String(i));
  }
  return record.id;
}

/**
 * Starts one worker per config, releases them together once all are ready, and returns their
 * results. `uid`/`gid` run the workers as another user (tests running as root use it to meet a
 * permission check). Rejects if a worker exits with an error.
 */
export async function runWorkers(
  configs: readonly WorkerConfig[],
  user?: { uid: number; gid: number },
): Promise<WorkerResult[]> {
  const children = configs.map((config) =>
    spawn(
      process.execPath,
      ['--conditions=latchkey-source', '--import', 'tsx', WORKER, JSON.stringify(config)],
      { stdio: ['pipe', 'pipe', 'pipe'], ...user },
    ),
  );
  const outputs = children.map((child) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout.on('data', () => {
        if (stdout.includes('ready\n')) resolve();
      });
      child.on('exit', () => {
        reject(new Error(`worker exited before it was ready: ${stderr}`));
      });
    });
    const exit = once(child, 'exit').then(([code]) => {
      if (code !== 0) throw new Error(`worker exited with ${String(code)}: ${stderr}`);
      const line = stdout.split('\n').filter(Boolean).pop() ?? '';
      return JSON.parse(line) as WorkerResult;
    });
    return { ready, exit };
  });
  try {
    await Promise.all(outputs.map((o) => o.ready));
  } catch (error) {
    for (const child of children) child.kill();
    throw error;
  }
  for (const child of children) child.stdin.end('go\n');
  return Promise.all(outputs.map((o) => o.exit));
}

async function work(config: WorkerConfig): Promise<void> {
  const store: Store =
    config.store === 'file'
      ? fileStore({ directory: config.location })
      : sqliteStore({ database: config.location, busyTimeout: 10_000 });

  process.stdout.write('ready\n');
  process.stdin.setEncoding('utf8');
  await once(process.stdin, 'data');
  process.stdin.pause();

  const result = { applied: 0, refused: 0, errors: [] as string[] };
  for (let i = 0; i < config.count; i++) {
    const now = Date.now();
    try {
      const ok = await store.update(
        config.id,
        {
          set: { [`${config.prefix}-${i}`]: String(i) },
          lastSeenAt: now,
          expiresAt: now + 600_000,
        },
        now,
      );
      if (ok) result.applied++;
      else result.refused++;
    } catch (error) {
      const { code, message } = error as NodeJS.ErrnoException;
      result.errors.push(code ?? message);
    }
  }
  await store.close?.();
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv[1] === WORKER) await work(JSON.parse(process.argv[2] ?? '{}') as WorkerConfig);
