import { randomBytes } from 'node:crypto';
import { csrfField, isDeletion, Probe, type ProbeResponse, type SetCookie } from './http-probe.js';

/**
 * `latchkey doctor`: checks a running app from the outside, as an attacker or a browser sees it,
 * against the SECURITY.md items that are visible over HTTP. It works with any session library;
 * the login and logout flows assume HTML forms with a hidden `_csrf` field (as the demo app has).
 */

export interface DoctorOptions {
  /** Base URL of the app, e.g. http://localhost:3000. */
  readonly url: string;
  readonly loginPath: string;
  readonly logoutPath: string;
  /** A route that answers 2xx only to a logged-in user (401/403/3xx otherwise). */
  readonly protectedPath: string;
  readonly username?: string | undefined;
  readonly password?: string | undefined;
  /** Form field names of the login form. */
  readonly usernameField: string;
  readonly passwordField: string;
}

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  readonly id: string;
  readonly title: string;
  readonly status: CheckStatus;
  readonly detail: string;
}

const STACK_NAMES =
  /^(connect\.sid|phpsessid|jsessionid|asp\.net_sessionid|laravel_session|sessionid|rack\.session|_session_id)$/i;
const HOSTILE_COOKIES = [
  'garbage',
  'A'.repeat(4000),
  '%E0%A4%A',
  '"\\";,=',
  '<script>alert(1)</script>',
];

function withToken(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { _csrf: token };
}

function authenticated(response: ProbeResponse): boolean {
  return response.status >= 200 && response.status < 300;
}

class Report {
  readonly results: CheckResult[] = [];
  add(id: string, title: string, status: CheckStatus, detail: string): void {
    this.results.push({ id, title, status, detail });
  }
  check(id: string, title: string, ok: boolean, detail: string): void {
    this.add(id, title, ok ? 'pass' : 'fail', detail);
  }
}

/** The session cookie among those a login response set: the one that changed, HttpOnly or not. */
function pickSessionCookie(
  cookies: readonly SetCookie[],
  before: ReadonlyMap<string, string>,
): SetCookie | undefined {
  const live = cookies.filter((c) => !isDeletion(c));
  return (
    live.find((c) => c.attributes.has('httponly') && before.get(c.name) !== c.value) ??
    live.find((c) => before.get(c.name) !== c.value) ??
    live[0]
  );
}

function cookieChecks(report: Report, cookie: SetCookie): void {
  const a = cookie.attributes;
  report.check(
    'SEC-03',
    'Cookie name does not name the stack',
    !STACK_NAMES.test(cookie.name),
    `name "${cookie.name}"`,
  );
  const bytes = Buffer.from(cookie.value.replace(/^s%3A/, ''), 'base64url').length;
  report.check(
    'SEC-01',
    'Token carries at least 128 bits',
    cookie.value.length >= 22,
    `${cookie.value.length} characters (~${bytes} bytes)`,
  );
  const decoded = Buffer.from(cookie.value, 'base64url').toString('latin1');
  const readable =
    /[{}"]|user|admin|role|exp/i.test(decodeURIComponent(cookie.value)) ||
    /^[\x20-\x7e]{16,}$/.test(decoded);
  report.check(
    'SEC-02',
    'Token is opaque',
    !readable,
    readable ? 'the value or its base64 decoding is readable text' : 'no readable content',
  );
  report.check(
    'SEC-08',
    'Session cookie is Secure',
    a.has('secure'),
    a.has('secure') ? 'Secure' : 'missing Secure',
  );
  report.check(
    'SEC-09',
    'Session cookie is HttpOnly',
    a.has('httponly'),
    a.has('httponly') ? 'HttpOnly' : 'missing HttpOnly',
  );
  const sameSite = a.get('samesite');
  report.check(
    'SEC-10',
    'SameSite set explicitly',
    sameSite !== undefined && sameSite !== '',
    `SameSite=${sameSite ?? '(absent)'}`,
  );
  const hostPrefix = cookie.name.startsWith('__Host-');
  report.add(
    'SEC-11',
    'Cookie uses the __Host- prefix',
    hostPrefix ? 'pass' : a.has('domain') && cookie.name.startsWith('__Secure-') ? 'pass' : 'fail',
    `name "${cookie.name}"${a.has('domain') ? ' with Domain' : ''}`,
  );
  report.check(
    'SEC-12',
    'Host-only cookie (no Domain)',
    !a.has('domain'),
    a.has('domain') ? `Domain=${a.get('domain') ?? ''}` : 'no Domain',
  );
  const persistent = a.has('max-age') || a.has('expires');
  report.check(
    'SEC-13',
    'Non-persistent cookie without remember-me',
    !persistent,
    persistent ? 'has Max-Age/Expires' : 'browser-session cookie',
  );
}

/** Runs every check it can; each result says pass, fail, or why it was skipped. */
export async function runDoctor(options: DoctorOptions): Promise<CheckResult[]> {
  const report = new Report();
  const probe = new Probe(options.url);
  const origin = probe.origin;
  const sameOrigin = { origin, 'sec-fetch-site': 'same-origin' };

  // Hostile cookies against the protected route: never a 5xx, never an echo (SEC-05).
  const fuzz: string[] = [];
  for (const value of HOSTILE_COOKIES) {
    for (const name of ['__Host-sid', 'sid', 'connect.sid', 'session']) {
      const r = await probe.send(options.protectedPath, { cookie: `${name}=${value}` });
      if (r.status >= 500) fuzz.push(`${r.status} for ${name}=${value.slice(0, 12)}…`);
      else if (value.length > 8 && r.body.includes(value))
        fuzz.push(`echoed ${value.slice(0, 12)}…`);
    }
  }
  report.check(
    'SEC-05',
    'Hostile cookies never cause a 5xx or an echo',
    fuzz.length === 0,
    fuzz.length === 0
      ? `${HOSTILE_COOKIES.length * 4} hostile cookies answered cleanly`
      : fuzz.join('; '),
  );

  // The login page, and the anonymous session (if any) it creates for its CSRF token.
  const page = await probe.send(options.loginPath);
  const loginToken = csrfField(page.body);
  const before = new Map(probe.jar);
  if (page.status >= 400) {
    report.add(
      'SEC-45',
      'Login form is CSRF-protected',
      'skip',
      `GET ${options.loginPath} answered ${page.status}`,
    );
  } else {
    const credentials = {
      [options.usernameField]: 'doctor-probe',
      [options.passwordField]: 'not-the-password',
    };
    const noToken = await probe.send(options.loginPath, {
      method: 'POST',
      headers: sameOrigin,
      form: credentials,
      cookie: probe.cookieHeader(before),
    });
    report.check(
      'SEC-45',
      'Login form is CSRF-protected',
      noToken.status === 403,
      `POST without _csrf answered ${noToken.status}`,
    );
    const crossSite = await probe.send(options.loginPath, {
      method: 'POST',
      headers: { origin: 'https://attacker.example', 'sec-fetch-site': 'cross-site' },
      form: { ...credentials, ...withToken(loginToken) },
      cookie: probe.cookieHeader(before),
    });
    report.check(
      'SEC-40',
      'Cross-site POST is refused',
      crossSite.status === 403,
      `cross-site POST answered ${crossSite.status}`,
    );
    const spoofed = await probe.send(options.loginPath, {
      method: 'POST',
      headers: { origin: `${origin}.attacker.example` },
      form: { ...credentials, ...withToken(loginToken) },
      cookie: probe.cookieHeader(before),
    });
    report.check(
      'SEC-40',
      'Look-alike Origin is refused',
      spoofed.status === 403,
      `Origin ${origin}.attacker.example answered ${spoofed.status}`,
    );
  }

  if (options.username === undefined || options.password === undefined) {
    for (const [id, title] of [
      ['SEC-08..13', 'Session cookie attributes'],
      ['SEC-19', 'Login issues a new token'],
      ['SEC-16', 'Authenticated responses are not cached'],
      ['SEC-28', 'Logout ends the session for a replayed cookie'],
    ] as const) {
      report.add(id, title, 'skip', 'give --username and --password to log in');
    }
    return report.results;
  }

  const login = await probe.send(options.loginPath, {
    method: 'POST',
    headers: sameOrigin,
    form: {
      [options.usernameField]: options.username,
      [options.passwordField]: options.password,
      ...withToken(loginToken),
    },
  });
  const session = pickSessionCookie(login.setCookies, before);
  if (login.status >= 400 || session === undefined) {
    report.add(
      'LOGIN',
      'Log in with the given credentials',
      'fail',
      `POST ${options.loginPath} answered ${login.status}${session === undefined ? ' with no session cookie' : ''}`,
    );
    return report.results;
  }
  cookieChecks(report, session);
  const preLogin = before.get(session.name);
  if (preLogin !== undefined) {
    const replay = await probe.send(options.protectedPath, {
      cookie: `${session.name}=${preLogin}`,
    });
    report.check(
      'SEC-19',
      'Login issues a new token; the old one is dead',
      preLogin !== session.value && !authenticated(replay),
      preLogin === session.value
        ? 'same token before and after login'
        : `pre-login token answered ${replay.status}`,
    );
  } else {
    // No anonymous session to compare with: re-authenticate, which must rotate the token too.
    const again = await probe.send(options.loginPath);
    const relogin = await probe.send(options.loginPath, {
      method: 'POST',
      headers: sameOrigin,
      form: {
        [options.usernameField]: options.username,
        [options.passwordField]: options.password,
        ...withToken(csrfField(again.body)),
      },
    });
    const rotated = relogin.setCookies.find((c) => c.name === session.name && !isDeletion(c));
    const replay = await probe.send(options.protectedPath, {
      cookie: `${session.name}=${session.value}`,
    });
    report.check(
      'SEC-19',
      'Re-authentication issues a new token; the old one is dead',
      rotated !== undefined && rotated.value !== session.value && !authenticated(replay),
      rotated === undefined
        ? `a second login (${relogin.status}) set no new session cookie`
        : `previous token answered ${replay.status}`,
    );
  }

  const forged = randomBytes(32).toString('base64url');
  const forgedResponse = await probe.send(options.protectedPath, {
    cookie: `${session.name}=${forged}`,
  });
  const adopted = forgedResponse.setCookies.some(
    (c) => c.name === session.name && c.value === forged,
  );
  report.check(
    'SEC-04',
    'A forged token is never adopted',
    !authenticated(forgedResponse) && !adopted,
    `forged token answered ${forgedResponse.status}${adopted ? ' and was adopted' : ''}`,
  );

  const me = await probe.send(options.protectedPath);
  if (!authenticated(me)) {
    report.add(
      'SEC-16',
      'Authenticated responses are not cached',
      'skip',
      `GET ${options.protectedPath} answered ${me.status} after login`,
    );
  } else {
    const cacheControl = me.headers.get('cache-control') ?? '';
    const vary = me.headers.get('vary') ?? '';
    report.check(
      'SEC-16',
      'Authenticated responses are not cached',
      /no-store/i.test(cacheControl) && /cookie|\*/i.test(vary),
      `Cache-Control: ${cacheControl || '(absent)'}; Vary: ${vary || '(absent)'}`,
    );
  }

  // A page with the logout form's token: where login redirected, else the start page.
  const next = login.headers.get('location') ?? '/';
  const formPage = await probe.send(next);
  const logoutToken = csrfField(formPage.body);
  const stolen = probe.cookieHeader();
  const noTokenLogout = await probe.send(options.logoutPath, {
    method: 'POST',
    headers: sameOrigin,
    form: {},
  });
  const stillIn = authenticated(await probe.send(options.protectedPath));
  report.check(
    'SEC-30',
    'Logout is a CSRF-protected POST',
    noTokenLogout.status === 403 && stillIn,
    `POST without _csrf answered ${noTokenLogout.status}${stillIn ? '' : ' and logged the user out'}`,
  );

  const logout = await probe.send(options.logoutPath, {
    method: 'POST',
    headers: sameOrigin,
    form: withToken(logoutToken),
  });
  const cleared = logout.setCookies.find((c) => c.name === session.name);
  report.check(
    'SEC-29',
    'Logout clears the cookie with matching attributes',
    cleared !== undefined &&
      isDeletion(cleared) &&
      cleared.attributes.get('path') === session.attributes.get('path') &&
      cleared.attributes.get('domain') === session.attributes.get('domain'),
    cleared === undefined
      ? `logout answered ${logout.status} without clearing the cookie`
      : `cleared with Path=${cleared.attributes.get('path') ?? '(none)'}`,
  );
  const replay = await probe.send(options.protectedPath, { cookie: stolen });
  report.check(
    'SEC-28',
    'Logout ends the session for a replayed cookie',
    !authenticated(replay),
    `replayed cookie answered ${replay.status}`,
  );
  return report.results;
}

/** Renders results as an aligned text table. */
export function renderTable(results: readonly CheckResult[]): string {
  const rows = [
    ['ID', 'Check', 'Result', 'Detail'],
    ...results.map((r) => [r.id, r.title, r.status.toUpperCase(), r.detail]),
  ];
  const widths = [0, 1, 2].map((i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows
    .map((row) => row.map((cell, i) => (i < 3 ? cell.padEnd(widths[i] ?? 0) : cell)).join('  '))
    .join('\n');
}
