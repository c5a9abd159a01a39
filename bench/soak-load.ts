import { Agent, request } from 'node:http';

/**
 * The soak's load: virtual users driving the demo app's real flows through its forms, with CSRF
 * tokens taken from the pages as a browser would. Each virtual user is one browser on its own
 * loopback address (127.200.x.y): the demo throttles logins per client address and binds sessions
 * to the client network, so thirty users on one address would be one user to the server.
 * Anonymous visitors come from a fresh address each (127.1-100.x.y) over a fresh connection.
 */

/** What a request costs the server: `auth` ones hash a password (argon2id), `page` ones do not. */
export type Kind = 'page' | 'auth';

/** Client-side figures of one sampling interval. */
export class IntervalStats {
  readonly latency: Record<Kind, number[]> = { page: [], auth: [] };
  readonly statuses = new Map<number, number>();
  /** Connection failures and timeouts (no HTTP status). */
  networkErrors = 0;
  /** Answers other than the one the demo documents for that step (5xx included). */
  unexpected = 0;
  get requests(): number {
    return this.latency.page.length + this.latency.auth.length;
  }
}

/** Collects client figures; `swap()` closes the current interval and starts the next. */
export class Recorder {
  current = new IntervalStats();
  /** A few distinct unexpected answers, for the report. */
  readonly examples = new Set<string>();
  /** Browsers open now: each holds at most one connection, so the server should hold no more. */
  connections = 0;
  swap(): IntervalStats {
    const done = this.current;
    this.current = new IntervalStats();
    return done;
  }
  unexpected(what: string): void {
    this.current.unexpected++;
    if (this.examples.size < 8) this.examples.add(what);
  }
}

export interface LoadOptions {
  readonly url: string;
  /** Virtual users; `anonymous` of them are anonymous visitors, the rest sign in. */
  readonly users: number;
  readonly anonymous: number;
  readonly recorder: Recorder;
  /** Checked before every request: false stops the users (the current cycle is abandoned). */
  readonly running: () => boolean;
}

interface Answer {
  readonly status: number;
  readonly location: string | undefined;
  readonly body: string;
}

/** Thrown to end a cycle: an unexpected answer (already counted) or the end of the run. */
class CycleEnd extends Error {}

const REQUEST_TIMEOUT_MS = 30_000;
const TOKEN = /name="_csrf" value="([^"]+)"/;

/** One browser: a cookie jar, one keep-alive connection, one source address. */
class Browser {
  readonly cookies = new Map<string, string>();
  readonly agent = new Agent({ keepAlive: true, maxSockets: 1 });
  /** The `_csrf` value of the last page that had a form. */
  token = '';

  constructor(
    private readonly load: LoadOptions,
    private readonly address: string,
    private readonly userAgent: string,
  ) {
    load.recorder.connections++;
  }

  /** One request; throws CycleEnd when the answer is not `expect` (or the run is over). */
  async send(
    method: 'GET' | 'POST',
    path: string,
    expect: number,
    options: { kind?: Kind; form?: Record<string, string>; json?: boolean; cookie?: string } = {},
  ): Promise<Answer> {
    const { recorder } = this.load;
    if (!this.load.running()) throw new CycleEnd('stopped');
    const body =
      options.form === undefined ? undefined : new URLSearchParams(options.form).toString();
    const headers: Record<string, string> = {
      accept: options.json === true ? 'application/json' : 'text/html',
      'user-agent': this.userAgent,
    };
    const cookie = options.cookie ?? [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    if (cookie !== '') headers.cookie = cookie;
    if (body !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers['content-length'] = String(Buffer.byteLength(body));
      headers.origin = this.load.url;
      headers['sec-fetch-site'] = 'same-origin';
    }
    const started = performance.now();
    let answer: Answer;
    try {
      answer = await this.#exchange(method, path, headers, body);
    } catch (error) {
      recorder.current.networkErrors++;
      recorder.unexpected(`${method} ${path}: ${(error as Error).message}`);
      throw new CycleEnd('network');
    }
    const stats = recorder.current;
    stats.latency[options.kind ?? 'page'].push(performance.now() - started);
    stats.statuses.set(answer.status, (stats.statuses.get(answer.status) ?? 0) + 1);
    if (answer.status !== expect) {
      recorder.unexpected(
        `${method} ${path.split('?')[0] ?? ''}: ${answer.status} (expected ${expect})`,
      );
      throw new CycleEnd('unexpected');
    }
    const token = TOKEN.exec(answer.body)?.[1];
    if (token !== undefined) this.token = token;
    return answer;
  }

  #exchange(
    method: string,
    path: string,
    headers: Record<string, string>,
    body: string | undefined,
  ): Promise<Answer> {
    const target = new URL(path, this.load.url);
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname + target.search,
          method,
          headers,
          agent: this.agent,
          localAddress: this.address,
          timeout: REQUEST_TIMEOUT_MS,
        },
        (res) => {
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (text += chunk));
          res.on('error', reject);
          res.on('end', () => {
            for (const line of res.headers['set-cookie'] ?? []) this.#keep(line);
            resolve({ status: res.statusCode ?? 0, location: res.headers.location, body: text });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${REQUEST_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  #keep(line: string): void {
    const [pair = ''] = line.split(';');
    const eq = pair.indexOf('=');
    const name = pair.slice(0, eq).trim();
    const value = pair.slice(eq + 1).trim();
    if (value === '' || /max-age=0/i.test(line)) this.cookies.delete(name);
    else this.cookies.set(name, value);
  }

  close(): void {
    this.load.recorder.connections--;
    this.agent.destroy();
  }
}

const chance = (p: number): boolean => Math.random() < p;
const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)] as T;

/** The `n`th of 6.5 million loopback addresses from 127.`first`.0.1 (last byte never 0 or 255). */
function address(first: number, n: number): string {
  const slot = n % (100 * 256 * 254);
  const a = first + Math.floor(slot / (256 * 254));
  return `127.${a}.${Math.floor(slot / 254) % 256}.${1 + (slot % 254)}`;
}

/**
 * A signed-in user, cycling: sign up (first cycle) or log in, browse the protected pages, change
 * something (revoke other sessions, sometimes after logging in on a second device; every tenth
 * cycle change the password), then log out and check the old cookie is dead, or (one cycle in
 * five) just leave, as people close the browser, and the session stays in the store until it
 * expires.
 */
async function userLoop(load: LoadOptions, vu: number): Promise<void> {
  const ua = `Mozilla/5.0 (X11; Linux x86_64) latchkey-soak/vu${String(vu)}`;
  const browser = new Browser(load, address(200, vu), ua);
  let account: { login: string; password: string } | undefined;
  let accounts = 0;
  for (let cycle = 0; load.running(); cycle++) {
    let phone: Browser | undefined;
    try {
      if (account === undefined) {
        const login = `vu${String(vu)}-${String(accounts++)}`;
        const password = `soak password ${login}`;
        await browser.send('GET', '/signup', 200);
        await browser.send('POST', '/signup', 303, {
          kind: 'auth',
          form: { username: login, password, _csrf: browser.token },
        });
        account = { login, password };
      } else {
        await browser.send('GET', '/', 303);
        await browser.send('GET', '/login', 200);
        const form = { username: account.login, password: account.password, _csrf: browser.token };
        await browser.send('POST', '/login', 303, {
          kind: 'auth',
          form: chance(0.25) ? { ...form, remember: 'on' } : form,
        });
      }
      await browser.send('GET', '/dashboard', 200);
      for (let i = 3 + Math.floor(Math.random() * 4); i > 0; i--) {
        const path = pick(['/dashboard', '/api/me', '/account/sessions', '/style.css']);
        await browser.send('GET', path, 200, { json: path === '/api/me' });
      }
      if (cycle % 4 === 1) {
        phone = new Browser(load, address(201, vu), `${ua} phone`);
        await phone.send('GET', '/login', 200);
        await phone.send('POST', '/login', 303, {
          kind: 'auth',
          form: { username: account.login, password: account.password, _csrf: phone.token },
        });
        await phone.send('GET', '/api/me', 200, { json: true });
      }
      if (cycle % 10 === 9) {
        await browser.send('GET', '/dashboard', 200);
        const { login, password } = account;
        const next = `soak password ${login} ${String(cycle)}`;
        account = undefined; // until the change is confirmed, the password is unknown
        await browser.send('POST', '/account/password', 303, {
          kind: 'auth',
          form: { current_password: password, new_password: next, _csrf: browser.token },
        });
        account = { login, password: next };
        await browser.send('GET', '/dashboard', 200); // shows (and pops) the flash message
      } else {
        await browser.send('GET', '/account/sessions', 200);
        await browser.send('POST', '/account/sessions/revoke-others', 303, {
          form: { _csrf: browser.token },
        });
        await browser.send('GET', '/account/sessions', 200);
      }
      // Both changes end every other session of the user.
      if (phone !== undefined) await phone.send('GET', '/api/me', 401, { json: true });
      if (chance(0.2)) {
        browser.cookies.clear();
      } else {
        const old = [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
        await browser.send('POST', '/logout', 303, { form: { _csrf: browser.token } });
        await browser.send('GET', '/api/me', 401, { json: true, cookie: old });
      }
    } catch (error) {
      if (!(error instanceof CycleEnd)) throw error;
      // After a failure the account's state is unknown: start over with a fresh one.
      if (error.message !== 'stopped') account = undefined;
      browser.cookies.clear();
    } finally {
      phone?.close();
    }
  }
  browser.close();
}

/**
 * Anonymous visitors, one after another, each a new browser on a new address: the landing
 * redirect, the login form (which stores an anonymous session for its CSRF token), the stylesheet,
 * the API and a protected page refused, and sometimes the sign-up form, a missing page, a failed
 * login for an unknown name (hashed like any other, to hide which names exist) or a POST without a
 * token (refused by the CSRF check).
 */
async function anonymousLoop(load: LoadOptions, visitors: { next: number }): Promise<void> {
  while (load.running()) {
    const n = visitors.next++;
    const browser = new Browser(
      load,
      address(1, n),
      `Mozilla/5.0 latchkey-soak/visitor${String(n)}`,
    );
    try {
      await browser.send('GET', '/', 303);
      await browser.send('GET', '/login', 200);
      await browser.send('GET', '/style.css', 200);
      await browser.send('GET', '/api/me', 401, { json: true });
      await browser.send('GET', '/dashboard', 303);
      if (chance(0.3)) await browser.send('GET', '/signup', 200);
      if (chance(0.2)) await browser.send('GET', '/no-such-page', 404);
      if (chance(0.25)) {
        await browser.send('POST', '/login', 401, {
          kind: 'auth',
          form: {
            username: `nobody-${String(n)}`,
            password: 'not the password',
            _csrf: browser.token,
          },
        });
      }
      if (chance(0.15)) await browser.send('POST', '/logout', 403, { form: {} });
    } catch (error) {
      if (!(error instanceof CycleEnd)) throw error;
    } finally {
      browser.close();
    }
  }
}

/** Runs the virtual users until `running()` turns false; resolves when every one has stopped. */
export async function runLoad(load: LoadOptions): Promise<void> {
  const visitors = { next: 0 };
  const loops: Promise<void>[] = [];
  for (let vu = 0; vu < load.users; vu++) {
    loops.push(vu < load.anonymous ? anonymousLoop(load, visitors) : userLoop(load, vu));
  }
  await Promise.all(loops);
}
