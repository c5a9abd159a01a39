import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { argon2Hasher } from '../../src/auth/index.js';
import { createDemoApp, type DemoApp } from '../../examples/demo/app.js';
import { loadConfig, type DemoConfig } from '../../examples/demo/config.js';
import type { Client } from '../helpers/http.js';

/** A demo app started for a test: real server on an ephemeral loopback port, temp data dir. */
export interface TestDemo {
  readonly url: string;
  readonly app: DemoApp;
  readonly config: DemoConfig;
  /** Moves the injected clock forward. */
  advance(ms: number): void;
  close(): Promise<void>;
}

/** Real argon2id with tiny parameters: fast tests, never for production. */
export const FAST_HASHER = argon2Hasher({ memoryCost: 64, timeCost: 1 });

/**
 * Starts the demo as `npm start` would build it, from environment-style settings, on port 0 in a
 * fresh data directory, with a fast hasher and a clock the test controls.
 */
export async function startTestDemo(
  env: NodeJS.ProcessEnv = {},
  overrides: Partial<DemoConfig> = {},
): Promise<TestDemo> {
  const dataDir = await mkdtemp(join(tmpdir(), 'latchkey-demo-'));
  let now = Date.now();
  const config: DemoConfig = {
    ...loadConfig({ LATCHKEY_DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', ...env }),
    hasher: FAST_HASHER,
    now: () => now,
    ...overrides,
  };
  let app: DemoApp;
  let url: string;
  try {
    app = await createDemoApp(config);
    url = await app.listen();
  } catch (error) {
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    app,
    config,
    advance(ms) {
      now += ms;
    },
    async close() {
      await app.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The value of the first hidden `_csrf` field in a page. */
export function csrfOf(html: string): string {
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  if (match?.[1] === undefined) throw new Error('no _csrf field in the page');
  return match[1];
}

/** A form POST as a same-origin browser page sends it. */
export function postForm(
  client: Client,
  path: string,
  fields: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<Response> {
  return client.request(path, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      origin: client.baseUrl,
      'sec-fetch-site': 'same-origin',
      accept: 'text/html',
      ...headers,
    },
    body: new URLSearchParams(fields).toString(),
  });
}

/** GETs a page as a browser (Accept: text/html) and returns its body. */
export async function getPage(
  client: Client,
  path: string,
): Promise<{ status: number; body: string; response: Response }> {
  const response = await client.request(path, { headers: { accept: 'text/html' } });
  return { status: response.status, body: await response.text(), response };
}

/** Signs up (or logs in when `login` is set) through the forms; returns the final response. */
export async function signUp(
  client: Client,
  username: string,
  password: string,
): Promise<Response> {
  const { body } = await getPage(client, '/signup');
  return postForm(client, '/signup', { username, password, _csrf: csrfOf(body) });
}

export async function logIn(
  client: Client,
  username: string,
  password: string,
  extra: Record<string, string> = {},
  path = '/login',
): Promise<Response> {
  const { body } = await getPage(client, path);
  return postForm(client, path, { username, password, _csrf: csrfOf(body), ...extra });
}
