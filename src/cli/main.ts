#!/usr/bin/env node
// The `latchkey` command. Each subcommand lives in its own file; this one only parses arguments.
import { Command, InvalidArgumentError } from 'commander';
import { renderTable, runDoctor } from './doctor.js';
import { keygen } from './keygen.js';

function integer(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('expected a whole number');
  return n;
}

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
    console.log(keygen(options.bytes));
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

try {
  await program.parseAsync();
} catch (error) {
  console.error(`latchkey: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 2;
}
