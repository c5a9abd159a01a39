import type { ListedSession } from 'latchkey/auth';

/**
 * The demo's HTML, as plain template strings. Every interpolated value goes through `escape`
 * (user names are user input); the only unescaped pieces are fragments built here.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for HTML element content and double- or single-quoted attribute values. */
export function escape(value: string | number): string {
  return String(value).replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);
}

/** A timestamp as "2026-11-22 15:20:03 UTC" in a <time> element. */
function time(ms: number | null, zone = ' UTC'): string {
  if (ms === null) return '<span class="muted">unknown</span>';
  const iso = new Date(ms).toISOString();
  return `<time datetime="${escape(iso)}">${escape(iso.slice(0, 19).replace('T', ' '))}${zone}</time>`;
}

function csrfField(token: string): string {
  return `<input type="hidden" name="_csrf" value="${escape(token)}">`;
}

/** A one-line message above a form: an error or a confirmation. */
export interface Notice {
  readonly kind: 'error' | 'ok';
  readonly text: string;
}

function notice(n: Notice | null | undefined): string {
  return n ? `<p class="notice ${n.kind}" role="status">${escape(n.text)}</p>` : '';
}

function layout(
  title: string,
  body: string,
  nav: { readonly username: string; readonly csrf: string } | null,
): string {
  const links =
    nav === null
      ? '<a href="/login">Log in</a><a href="/signup">Sign up</a>'
      : `<a href="/dashboard">Dashboard</a><a href="/account/sessions">Sessions</a>
      <form class="inline" method="post" action="/logout">${csrfField(nav.csrf)}<button class="link" type="submit">Log out</button></form>`;
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escape(title)} · Latchkey demo</title>
  <link rel="stylesheet" href="/style.css">
</head>
<body>
  <header class="bar">
    <a class="brand" href="/"><span class="mark" aria-hidden="true"></span>Latchkey demo</a>
    <nav>${links}</nav>
  </header>
  ${body}
</body>
</html>
`;
}

/** Keeps a safe `return_to` across the login form (already checked with safeReturnTo). */
function action(path: string, returnTo: string | null): string {
  return returnTo === null
    ? path
    : `${path}?${new URLSearchParams({ return_to: returnTo }).toString()}`;
}

/** The login form; `returnTo` must already have passed `safeReturnTo`. */
export function loginPage(options: {
  readonly csrf: string;
  readonly returnTo: string | null;
  readonly username?: string;
  readonly notice?: Notice | null;
}): string {
  return layout(
    'Log in',
    `<main class="narrow">
  <section class="card">
    <h1>Log in</h1>
    ${notice(options.notice)}
    <form method="post" action="${escape(action('/login', options.returnTo))}">
      ${csrfField(options.csrf)}
      <label for="username">Username</label>
      <input type="text" id="username" name="username" autocomplete="username" required autofocus value="${escape(options.username ?? '')}">
      <label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="current-password" required>
      <label class="check"><input type="checkbox" name="remember" value="on"> Remember me for 30 days</label>
      <button class="primary" type="submit">Log in</button>
    </form>
    <p class="alt muted">No account yet? <a href="/signup">Sign up</a></p>
  </section>
</main>`,
    null,
  );
}

/** The sign-up form. */
export function signupPage(options: {
  readonly csrf: string;
  readonly username?: string;
  readonly notice?: Notice | null;
}): string {
  return layout(
    'Sign up',
    `<main class="narrow">
  <section class="card">
    <h1>Create an account</h1>
    ${notice(options.notice)}
    <form method="post" action="/signup">
      ${csrfField(options.csrf)}
      <label for="username">Username</label>
      <input type="text" id="username" name="username" autocomplete="username" required autofocus maxlength="64" value="${escape(options.username ?? '')}">
      <label for="password">Password</label>
      <input type="password" id="password" name="password" autocomplete="new-password" required minlength="8">
      <p class="muted">At least 8 characters. Any characters, spaces and emoji included.</p>
      <button class="primary" type="submit">Sign up</button>
    </form>
    <p class="alt muted">Already registered? <a href="/login">Log in</a></p>
  </section>
</main>`,
    null,
  );
}

/** What the dashboard shows: the user and the session's times (ms since the epoch). */
export interface DashboardView {
  readonly username: string;
  readonly csrf: string;
  readonly createdAt: number | null;
  readonly lastSeenAt: number | null;
  readonly expiresAt: number | null;
  readonly absoluteExpiresAt: number | null;
  readonly persistent: boolean;
  readonly notice?: Notice | null;
}

/** "Welcome back", session times, logout and the change-password form. */
export function dashboardPage(view: DashboardView): string {
  return layout(
    'Dashboard',
    `<main>
  ${notice(view.notice)}
  <section class="card">
    <h1>Welcome back, ${escape(view.username)}</h1>
    <p class="muted">This session${view.persistent ? ' is remembered on this device' : ' ends when you close the browser'}.</p>
    <dl class="facts">
      <dt>Created</dt><dd>${time(view.createdAt)}</dd>
      <dt>Last seen</dt><dd>${time(view.lastSeenAt)}</dd>
      <dt>Expires if idle</dt><dd>${time(view.expiresAt)}</dd>
      <dt>Expires at the latest</dt><dd>${time(view.absoluteExpiresAt)}</dd>
    </dl>
    <div class="actions">
      <a class="button secondary" href="/account/sessions">Your sessions</a>
      <form class="inline" method="post" action="/logout">${csrfField(view.csrf)}<button type="submit">Log out</button></form>
    </div>
  </section>
  <section class="card">
    <h2>Change password</h2>
    <p class="muted">Your other sessions end; this one stays logged in.</p>
    <form method="post" action="/account/password">
      ${csrfField(view.csrf)}
      <input type="text" name="username" autocomplete="username" value="${escape(view.username)}" hidden>
      <label for="current_password">Current password</label>
      <input type="password" id="current_password" name="current_password" autocomplete="current-password" required>
      <label for="new_password">New password</label>
      <input type="password" id="new_password" name="new_password" autocomplete="new-password" required minlength="8">
      <div class="actions"><button type="submit">Change password</button></div>
    </form>
  </section>
</main>`,
    { username: view.username, csrf: view.csrf },
  );
}

/** Every live session of the user with revoke buttons; the current one is marked, not revocable here. */
export function sessionsPage(view: {
  readonly username: string;
  readonly csrf: string;
  readonly sessions: readonly ListedSession[];
  readonly notice?: Notice | null;
}): string {
  const rows = view.sessions
    .map(
      (s) => `<tr${s.current ? ' class="current"' : ''} data-session="${escape(s.publicId)}">
        <td><span class="device">${escape(s.device)}</span>${s.current ? '<span class="badge">this device</span>' : ''}${s.persistent ? '<span class="badge">remembered</span>' : ''}</td>
        <td class="num">${escape(s.ip ?? 'unknown')}</td>
        <td class="num">${time(s.createdAt, '')}</td>
        <td class="num">${time(s.lastSeenAt, '')}</td>
        <td class="actions-cell">${
          s.current
            ? ''
            : `<form class="inline" method="post" action="/account/sessions/revoke">${csrfField(view.csrf)}<input type="hidden" name="session" value="${escape(s.publicId)}"><button class="danger" type="submit">Revoke</button></form>`
        }</td>
      </tr>`,
    )
    .join('\n');
  const others = view.sessions.some((s) => !s.current);
  return layout(
    'Your sessions',
    `<main class="wide">
  ${notice(view.notice)}
  <section class="card">
    <h1>Your sessions</h1>
    <p class="muted">Every browser logged in as ${escape(view.username)}. Revoke any you do not recognise.</p>
    <table>
      <thead><tr><th>Device</th><th>IP address</th><th>Created (UTC)</th><th>Last seen (UTC)</th><th></th></tr></thead>
      <tbody>
      ${rows}
      </tbody>
    </table>
    ${
      others
        ? `<div class="actions"><form class="inline" method="post" action="/account/sessions/revoke-others">${csrfField(view.csrf)}<button class="danger" type="submit">Log out all other sessions</button></form></div>`
        : ''
    }
  </section>
</main>`,
    { username: view.username, csrf: view.csrf },
  );
}

/** A short page for errors and refusals (404, 429, ...). */
export function messagePage(title: string, text: string): string {
  return layout(
    title,
    `<main class="narrow"><section class="card"><h1>${escape(title)}</h1><p>${escape(text)}</p><p><a href="/">Back</a></p></section></main>`,
    null,
  );
}
