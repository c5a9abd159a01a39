/**
 * The Latchkey demo app: `npm start` (or
 * `node --conditions=latchkey-source --import tsx examples/demo/server.ts`).
 * Configuration by environment variables: see docs/demo.md.
 */
import { pathToFileURL } from 'node:url';
import { relative } from 'node:path';
import { createDemoApp, type DemoApp } from './app.js';
import { loadConfig, type DemoConfig } from './config.js';

export { createDemoApp, loadConfig };
export type { DemoApp, DemoConfig };

/** Builds, starts and announces the demo; resolves once it is listening. */
export async function startDemo(
  config: DemoConfig,
  log: (line: string) => void = console.log,
): Promise<{ app: DemoApp; url: string }> {
  const app = await createDemoApp(config);
  const url = await app.listen();
  const rel = relative(process.cwd(), config.dataDir);
  const where = rel === '' ? '.' : rel.startsWith('..') ? config.dataDir : rel;
  const lines = [`Latchkey demo listening on ${url}`];
  lines.push(`  sessions: ${app.storeDescription}; users and login throttle: SQLite in ${where}/`);
  if (config.secretGenerated) {
    lines.push(
      `  notice: generated a new secret and saved it to ${where}/secret; set LATCHKEY_SECRET to use your own`,
    );
  }
  if (app.seeded !== null && config.demoUser !== undefined) {
    lines.push(
      `  demo user "${config.demoUser.username}" ${app.seeded === 'created' ? 'created' : 'already exists'}`,
    );
  } else {
    lines.push(
      `  no demo user: sign up at ${url}/signup (or set LATCHKEY_DEMO_USER and LATCHKEY_DEMO_PASSWORD)`,
    );
  }
  log(lines.join('\n')); // one write, so the banner arrives in one piece
  return { app, url };
}

async function main(): Promise<void> {
  let started: { app: DemoApp };
  try {
    started = await startDemo(loadConfig(process.env));
  } catch (error) {
    console.error(`latchkey demo: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
    return;
  }
  const stop = () => {
    void started.app.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
