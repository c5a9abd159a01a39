import { execFile } from 'node:child_process';
import { mkdtemp, rm, chown } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../helpers/services.js';

/**
 * A private PostgreSQL cluster for tests that stop the database mid-test: its own data directory
 * in a temp dir, trust auth, listening only on 127.0.0.1 at a free port. initdb and the server
 * refuse to run as root, so when we are root every command runs as the `postgres` OS user through
 * runuser. Only this cluster's postmaster is ever stopped (pg_ctl signals the pid in its own
 * postmaster.pid).
 */

const run = promisify(execFile);

export interface PrivateCluster {
  readonly port: number;
  /** Connection string of its `postgres` database as the `postgres` superuser. */
  readonly url: string;
  /** Stops the server the hard way (`pg_ctl stop -m immediate`): like a crash or a pulled plug. */
  stop(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** Stops it if running and deletes its data directory. */
  destroy(): Promise<void>;
}

async function binDir(): Promise<string> {
  if (process.env.PG_BINDIR) return process.env.PG_BINDIR;
  try {
    const { stdout } = await run('pg_config', ['--bindir']);
    return stdout.trim();
  } catch {
    return '/usr/lib/postgresql/15/bin';
  }
}

async function postgresUid(): Promise<{ uid: number; gid: number }> {
  const uid = await run('id', ['-u', 'postgres']);
  const gid = await run('id', ['-g', 'postgres']);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/** Creates and starts a cluster; rejects (with the tool's output) when this machine cannot. */
export async function startPrivateCluster(): Promise<PrivateCluster> {
  const bin = await binDir();
  const asRoot = process.getuid?.() === 0;
  const dir = await mkdtemp(join(tmpdir(), 'latchkey-pg-'));
  if (asRoot) {
    const { uid, gid } = await postgresUid();
    await chown(dir, uid, gid);
  }
  const tool = (name: string, args: string[]): Promise<unknown> =>
    asRoot
      ? run('runuser', ['-u', 'postgres', '--', join(bin, name), ...args], { timeout: 60_000 })
      : run(join(bin, name), args, { timeout: 60_000 });
  const data = join(dir, 'data');
  const port = await freePort();
  let running = false;
  const cluster: PrivateCluster = {
    port,
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async start() {
      const settings = `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
      await tool('pg_ctl', ['-D', data, '-o', settings, '-l', join(dir, 'log'), '-w', 'start']);
      running = true;
    },
    async stop() {
      await tool('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      running = false;
    },
    async destroy() {
      if (running) await cluster.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
    },
  };
  try {
    await tool('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    await cluster.start();
  } catch (error) {
    await cluster.destroy();
    throw error;
  }
  return cluster;
}
