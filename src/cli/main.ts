#!/usr/bin/env node
// The `latchkey` command. Each subcommand lives in its own file; this one only parses arguments.
import { Command, InvalidArgumentError } from 'commander';
import { CliError, describeError, EXIT } from './cli-error.js';
import { renderTable, runDoctor } from './doctor.js';
import { keygen } from './keygen.js';
import { runPurge } from './purge.js';
import { runList } from './sessions-list.js';
import { checkRevokeOptions, runRevoke, type RevokeOptions } from './sessions-revoke.js';
import { runStats } from './stats.js';
import { withStore } from './store-from-env.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

function positive(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1_000_000) {
    throw new InvalidArgumentError('expected a whole number from 1 to 1000000');
  }
  return n;
}

const STORE_HELP = `
The session store is chosen by the same environment variables as the demo app:
  LATCHKEY_STORE         sqlite (default), memory, redis, postgres or file
  LATCHKEY_DATA_DIR      ./data by default: <dir>/latchkey.db (sqlite), <dir>/sessions (file)
  REDIS_URL              redis://127.0.0.1:6379 by default (redis)
  DATABASE_URL           required with postgres
  LATCHKEY_REDIS_PREFIX  latchkey-demo: by default (an app on the store's default: latchkey:)
  LATCHKEY_PG_TABLE      latchkey_demo_sessions by default (the store's default: latchkey_sessions)

Exit codes: 0 done, 1 usage error or nothing found, 2 store unreachable or failing.`;

function url(value: string): string {
  try {
    const parsed = new URL(value);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new Error('scheme');
    return value;
  } catch {
    throw new InvalidArgumentError('expected an http:// or https:// URL');
  }
}

const program = new Command()
  .name('latchkey')
  .description('Secure server-side sessions: keys, checks and session administration')
  .showHelpAfterError();

program
  .command('keygen')
  .description(
    'print a new random secret (base64url) for LATCHKEY_SECRET or a cookie-session key ring',
  )
  .option('--bytes <n>', 'secret length in bytes (32-1024)', integer, 32)
  .action((options: { bytes: number }) => {
    try {
      console.log(keygen(options.bytes));
    } catch (error) {
      throw new CliError(describeError(error)); // a bad --bytes is a usage error: exit 1
    }
  });

program
  .command('doctor')
  .description(
    'check a running app against the SECURITY.md items visible over HTTP; exits 1 if any fails',
  )
  .argument('<url>', 'base URL of the app, e.g. http://localhost:3000', url)
  .option('--username <name>', 'log in as this user to check the authenticated flows')
  .option(
    '--password <password>',
    'password for --username (prefer the LATCHKEY_DOCTOR_PASSWORD variable)',
  )
  .option('--login-path <path>', 'login form (GET) and action (POST)', '/login')
  .option('--logout-path <path>', 'logout action (POST)', '/logout')
  .option('--protected-path <path>', 'a route that answers 2xx only when logged in', '/api/me')
  .option('--username-field <name>', 'login form field for the user name', 'username')
  .option('--password-field <name>', 'login form field for the password', 'password')
  .option('--json', 'print the results as JSON')
  .action(
    async (
      target: string,
      options: {
        username?: string;
        password?: string;
        loginPath: string;
        logoutPath: string;
        protectedPath: string;
        usernameField: string;
        passwordField: string;
        json?: boolean;
      },
    ) => {
      const results = await runDoctor({
        ...options,
        url: target,
        password: options.password ?? process.env.LATCHKEY_DOCTOR_PASSWORD,
      });
      console.log(options.json === true ? JSON.stringify(results, null, 2) : renderTable(results));
      const failed = results.filter((r) => r.status === 'fail').length;
      if (options.json !== true) {
        const passed = results.filter((r) => r.status === 'pass').length;
        console.log(
          `\n${passed} passed, ${failed} failed, ${results.length - passed - failed} skipped`,
        );
      }
      process.exitCode = failed > 0 ? 1 : 0;
    },
  );

const sessions = program
  .command('sessions')
  .description('list and revoke the sessions in the store named by LATCHKEY_STORE')
  .addHelpText('after', STORE_HELP);

sessions
  .command('list')
  .description('show live sessions: public id, user, times, IP and user agent')
  .option('--user <id>', "only this user's sessions (all of them, most recently used first)")
  .option('--limit <n>', 'show at most this many sessions', positive, 100)
  .option('--json', 'print the sessions as JSON')
  .addHelpText('after', STORE_HELP)
  .action(async (options: { user?: string; limit: number; json?: boolean }) => {
    await withStore((opened) => runList(opened, options));
  });

sessions
  .command('revoke')
  .description('end one session by public id, every session of a user, or every session')
  .argument('[public-id]', 'public id of the session, as `sessions list` shows it')
  .option('--user <id>', 'end every session of this user ("log out everywhere")')
  .option('--all', 'end every session of every user (needs --yes)')
  .option('--yes', 'confirm --all')
  .addHelpText('after', STORE_HELP)
  .action(
    async (
      publicId: string | undefined,
      options: { user?: string; all?: boolean; yes?: boolean },
      command: Command,
    ) => {
      const revoke: RevokeOptions = { ...options, publicId };
      try {
        checkRevokeOptions(revoke);
      } catch (error) {
        command.error(`error: ${describeError(error)}`, { exitCode: EXIT.failure });
      }
      await withStore((opened) => runRevoke(opened, revoke));
    },
  );

program
  .command('purge')
  .description('remove expired sessions from the store (progress on stderr)')
  .option('--batch <n>', 'sessions removed per step', positive, 500)
  .addHelpText('after', STORE_HELP)
  .action(async (options: { batch: number }) => {
    await withStore((opened) => runPurge(opened, options));
  });

program
  .command('stats')
  .description('count live and expired sessions and users with a live session')
  .option('--json', 'print the numbers as JSON')
  .addHelpText('after', STORE_HELP)
  .action(async (options: { json?: boolean }) => {
    await withStore((opened) => runStats(opened, options));
  });

try {
  await program.parseAsync();
} catch (error) {
  console.error(`latchkey: ${describeError(error)}`);
  process.exitCode = error instanceof CliError ? error.exitCode : EXIT.unreachable;
  // A client that failed to connect may leave a timer behind (ioredis keeps its connect timeout
  // running for 2 s): do not make the user wait for it. Unref'd, so it never delays a clean exit.
  setTimeout(() => process.exit(), 100).unref();
}
