import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Client } from '../helpers/http.js';
import { startApp } from '../helpers/node-app.js';
import { fileStore, FILE_VERSION } from '../../src/stores/file.js';
import { publicIdOf } from '../../src/core/token.js';
import { sampleRecord, storeConformance } from '../../src/testing/conformance.js';

const root = mkdtempSync(join(tmpdir(), 'latchkey-file-'));
after(() => {
  rmSync(root, { recursive: true, force: true });
});

const MINUTE = 60_000;
let dirs = 0;
function newDir(): string {
  return join(root, `store-${++dirs}`);
}
function patchAt(now: number, set: Record<string, string> = {}) {
  return { set, lastSeenAt: now, expiresAt: now + MINUTE };
}
const userHash = (userId: string): string => createHash('sha256').update(userId).digest('hex');

storeConformance('file', { setup: () => fileStore({ directory: newDir() }) });

describe('file store: layout', () => {
  it('writes one private JSON file per session, named by its id, and no leftovers', async () => {
    const directory = newDir();
    const store = fileStore({ directory });
    const record = sampleRecord({ userId: 'layout-user' });
    await store.create(record, Date.now());
    await store.update(record.id, patchAt(Date.now(), { a: '1' }), Date.now());
    assert.deepEqual(readdirSync(join(directory, 'sessions')), [`${record.id}.json`]);
    const file = join(directory, 'sessions', `${record.id}.json`);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(directory).mode & 0o777, 0o700);
    const doc = JSON.parse(readFileSync(file, 'utf8')) as { version: number; data: unknown };
    assert.equal(doc.version, FILE_VERSION);
    assert.deepEqual(doc.data, { ...record.data, a: '1' });
    assert.deepEqual(readdirSync(join(directory, 'users', userHash('layout-user'))), [record.id]);
    assert.deepEqual(readdirSync(join(directory, 'locks')), [], 'every lock released');
  });

  it('keeps sessions across a restart (a new store on the same directory)', async () => {
    const directory = newDir();
    const record = sampleRecord({ userId: 'restart-user' });
    await fileStore({ directory }).create(record, Date.now());
    const reopened = fileStore({ directory });
    assert.deepEqual(await reopened.get(record.id, Date.now()), record);
    assert.equal((await reopened.listByUser('restart-user', Date.now())).length, 1);
  });

  it('with fsync on, writes the same files', async () => {
    const directory = newDir();
    const store = fileStore({ directory, fsync: true });
    const record = sampleRecord();
    await store.create(record, Date.now());
    await store.update(record.id, patchAt(Date.now(), { a: '1' }), Date.now());
    assert.equal((await fileStore({ directory }).get(record.id, Date.now()))?.data.a, '1');
    assert.deepEqual(readdirSync(join(directory, 'sessions')), [`${record.id}.json`]);
  });

  it('rejects a missing directory option at once', () => {
    assert.throws(() => fileStore({ directory: '' }), TypeError);
    assert.throws(() => fileStore({ directory: newDir(), lockTimeout: -1 }), /lockTimeout/);
  });
});

describe('file store: hostile ids never become paths', () => {
  it('an id that is not 64 hex characters reads as missing, even if a file matches it', async () => {
    const directory = newDir();
    const store = fileStore({ directory });
    await store.create(sampleRecord(), Date.now()); // creates the directories
    // A valid record file planted outside sessions/, reachable only by path traversal.
    const planted = sampleRecord({ id: '../planted' });
    writeFileSync(
      join(directory, 'planted.json'),
      JSON.stringify({ version: FILE_VERSION, ...planted }),
    );
    const now = Date.now();
    assert.equal(await store.get('../planted', now), null);
    assert.equal(await store.update('../planted', patchAt(now, { x: '1' }), now), false);
    assert.equal(await store.delete('../planted'), null);
    assert.ok(existsSync(join(directory, 'planted.json')), 'delete did not follow the path');
    assert.equal(await store.get('A'.repeat(64), now), null);
    await assert.rejects(async () => store.create(sampleRecord({ id: '../../x' }), now), TypeError);
  });
});

describe('file store: bad data reads as no session', () => {
  const directory = newDir();
  const invalid: [string, string][] = [];
  const store = fileStore({
    directory,
    onInvalidRecord: ({ session, reason }) => invalid.push([session, reason]),
  });
  const fileOf = (id: string): string => join(directory, 'sessions', `${id}.json`);

  it('a corrupt or truncated file: null from get, reported, never thrown, left in place', async () => {
    for (const contents of ['{"version": 1, "id": ', '']) {
      const record = sampleRecord({ userId: 'corrupt-user' });
      await store.create(record, Date.now());
      writeFileSync(fileOf(record.id), contents);
      invalid.length = 0;
      assert.equal(await store.get(record.id, Date.now()), null);
      assert.deepEqual(invalid, [[publicIdOf(record.id), 'file is not valid JSON']]);
      assert.equal(await store.update(record.id, patchAt(Date.now()), Date.now()), false);
      assert.equal(readFileSync(fileOf(record.id), 'utf8'), contents);
    }
    assert.deepEqual(await store.listByUser('corrupt-user', Date.now()), []);
    assert.equal(await store.deleteByUser('corrupt-user'), 2, 'log out everywhere removes them');
  });

  it('a file of another format version is not migrated: it reads as no session', async () => {
    const record = sampleRecord();
    await store.create(record, Date.now());
    const doc = JSON.parse(readFileSync(fileOf(record.id), 'utf8')) as Record<string, unknown>;
    writeFileSync(fileOf(record.id), JSON.stringify({ ...doc, version: 0 }));
    invalid.length = 0;
    assert.equal(await store.get(record.id, Date.now()), null);
    assert.match(invalid[0]?.[1] ?? '', /file version 0/);
    // Logging out of it still works: the file goes, and nothing unreadable is handed back.
    assert.equal(await store.delete(record.id), null);
    assert.equal(existsSync(fileOf(record.id)), false);
  });

  it('a file holding another session, or a mistyped field, reads as no session', async () => {
    const a = sampleRecord();
    const b = sampleRecord();
    await store.create(a, Date.now());
    await store.create(b, Date.now());
    // Copying a's file over b's must not make b's token open a's session.
    writeFileSync(fileOf(b.id), readFileSync(fileOf(a.id)));
    assert.equal(await store.get(b.id, Date.now()), null);
    const doc = JSON.parse(readFileSync(fileOf(a.id), 'utf8')) as Record<string, unknown>;
    writeFileSync(fileOf(a.id), JSON.stringify({ ...doc, data: { n: 1 } }));
    assert.equal(await store.get(a.id, Date.now()), null);
  });
});

describe('file store: locks', () => {
  const lockOf = (directory: string, id: string): string => join(directory, 'locks', `${id}.lock`);

  it('waits for a held lock, then gives up and changes nothing', async () => {
    const directory = newDir();
    const store = fileStore({ directory, lockTimeout: 50 });
    const record = sampleRecord();
    await store.create(record, Date.now());
    // Held by a live process (this one, as another store instance would be).
    writeFileSync(lockOf(directory, record.id), `${process.pid} ${hostname()} other`);
    const now = Date.now();
    await assert.rejects(
      async () => store.update(record.id, patchAt(now, { a: '1' }), now),
      /could not lock/,
    );
    await assert.rejects(async () => store.delete(record.id), /could not lock/);
    assert.deepEqual(await store.get(record.id, now), record);
    assert.ok(existsSync(lockOf(directory, record.id)), "another holder's lock is not removed");
  });

  it('breaks at once a lock whose holder process on this host has died', async () => {
    const directory = newDir();
    const store = fileStore({ directory, lockTimeout: 1000, staleLockTimeout: 60_000 });
    const record = sampleRecord();
    await store.create(record, Date.now());
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    assert.ok(dead);
    writeFileSync(lockOf(directory, record.id), `${dead} ${hostname()} crashed`);
    const now = Date.now();
    assert.equal(await store.update(record.id, patchAt(now, { a: '1' }), now), true);
    assert.equal((await store.get(record.id, now))?.data.a, '1');
  });

  it('breaks a lock older than staleLockTimeout, whoever holds it', async () => {
    const directory = newDir();
    const store = fileStore({ directory, lockTimeout: 1000, staleLockTimeout: 10_000 });
    const record = sampleRecord();
    await store.create(record, Date.now());
    const lock = lockOf(directory, record.id);
    writeFileSync(lock, '1 some-other-host abandoned');
    const minuteAgo = (Date.now() - MINUTE) / 1000;
    utimesSync(lock, minuteAgo, minuteAgo);
    const now = Date.now();
    assert.equal(await store.update(record.id, patchAt(now, { a: '1' }), now), true);
    assert.ok(!existsSync(lock));
  });
});

describe('file store: sweep', () => {
  it('removes expired files, stale index entries and abandoned temp files; keeps the rest', async () => {
    const directory = newDir();
    const invalid: string[] = [];
    const store = fileStore({ directory, onInvalidRecord: ({ session }) => invalid.push(session) });
    const now = Date.now();
    const user = 'sweep-user';
    const expiring = sampleRecord({ userId: user, expiresAt: now + 10 });
    const live = sampleRecord({ userId: user });
    const corrupt = sampleRecord();
    for (const r of [expiring, live, corrupt]) await store.create(r, now);
    const sessions = join(directory, 'sessions');
    writeFileSync(join(sessions, `${corrupt.id}.json`), 'not json');
    // A writer that crashed between the index entry and the session file.
    const orphan = sampleRecord().id;
    writeFileSync(join(directory, 'users', userHash(user), orphan), '');
    mkdirSync(join(directory, 'users', userHash('gone-user')));
    const oldTemp = join(sessions, `.${orphan}.aaaa.tmp`);
    const freshTemp = join(sessions, `.${orphan}.bbbb.tmp`);
    writeFileSync(oldTemp, '{');
    writeFileSync(freshTemp, '{');
    const twoHoursAgo = (Date.now() - 120 * MINUTE) / 1000;
    utimesSync(oldTemp, twoHoursAgo, twoHoursAgo);

    assert.deepEqual(
      (await store.listByUser(user, now)).map((r) => r.id).sort(),
      [expiring.id, live.id].sort(),
      'the orphan index entry is never listed',
    );
    assert.equal(await store.deleteExpired(now + 10), 1);

    assert.deepEqual(
      readdirSync(sessions).sort(),
      [`.${orphan}.bbbb.tmp`, `${corrupt.id}.json`, `${live.id}.json`].sort(),
    );
    assert.deepEqual(readdirSync(join(directory, 'users', userHash(user))), [live.id]);
    assert.ok(!existsSync(join(directory, 'users', userHash('gone-user'))));
    assert.deepEqual(
      invalid,
      [publicIdOf(corrupt.id)],
      'corrupt files are reported, left for a human',
    );
  });
});

describe('file store through the node adapter', () => {
  it('keeps a value between requests, and a destroyed session stays dead when replayed', async () => {
    const directory = newDir();
    const store = fileStore({ directory });
    const app = await startApp({ store });
    try {
      const client = new Client(app.url);
      assert.equal((await client.request('/set?key=name&value="alice"')).status, 200);
      assert.equal(await (await client.request('/get?key=name')).json(), 'alice');
      assert.equal(readdirSync(join(directory, 'sessions')).length, 1);
      const stolen = client.clone();
      assert.equal((await client.request('/logout', { method: 'POST' })).status, 200);
      assert.equal(await (await stolen.request('/get?key=name')).json(), null);
      assert.deepEqual(readdirSync(join(directory, 'sessions')), []);
    } finally {
      await app.close();
    }
  });

  it('answers 503 when the directory cannot be used, and recovers when it can', async () => {
    const directory = newDir();
    writeFileSync(directory, 'a file where the directory should be');
    const app = await startApp({ store: fileStore({ directory }) });
    try {
      const client = new Client(app.url);
      assert.equal((await client.request('/set?key=name&value="bob"')).status, 503);
      rmSync(directory);
      assert.equal((await client.request('/set?key=name&value="bob"')).status, 200);
      assert.equal(await (await client.request('/get?key=name')).json(), 'bob');
    } finally {
      await app.close();
    }
  });
});
