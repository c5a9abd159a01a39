/**
 * A tiny HTTP client for `latchkey doctor`: keeps cookies by name, never follows redirects, and
 * parses Set-Cookie lines into their attributes so checks can inspect them.
 */

export interface SetCookie {
  readonly name: string;
  readonly value: string;
  /** Attribute names lower-cased; flag attributes map to "". */
  readonly attributes: ReadonlyMap<string, string>;
}

export function parseSetCookie(line: string): SetCookie {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  const attributes = new Map<string, string>();
  for (const part of rest) {
    const i = part.indexOf('=');
    const key = (i === -1 ? part : part.slice(0, i)).trim().toLowerCase();
    if (key !== '') attributes.set(key, i === -1 ? '' : part.slice(i + 1).trim());
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), attributes };
}

/** True when a Set-Cookie deletes its cookie (empty value, Max-Age <= 0 or Expires in the past). */
export function isDeletion(cookie: SetCookie): boolean {
  const maxAge = cookie.attributes.get('max-age');
  const expires = cookie.attributes.get('expires');
  return (
    cookie.value === '' ||
    (maxAge !== undefined && Number(maxAge) <= 0) ||
    (expires !== undefined && Date.parse(expires) < Date.now())
  );
}

export interface ProbeResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: string;
  readonly setCookies: readonly SetCookie[];
}

export class Probe {
  readonly base: URL;
  readonly jar = new Map<string, string>();

  constructor(base: string) {
    this.base = new URL(base);
  }

  get origin(): string {
    return this.base.origin;
  }

  cookieHeader(jar: ReadonlyMap<string, string> = this.jar): string {
    return [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /**
   * Sends a request. `cookie` overrides the jar for this request only (for replay and forgery
   * checks); otherwise the jar is sent and updated from the response.
   */
  async send(
    path: string,
    init: {
      method?: string;
      headers?: Record<string, string>;
      form?: Record<string, string>;
      cookie?: string;
    } = {},
  ): Promise<ProbeResponse> {
    const headers = new Headers(init.headers);
    const cookie = init.cookie ?? this.cookieHeader();
    if (cookie !== '') headers.set('cookie', cookie);
    let body: string | undefined;
    if (init.form !== undefined) {
      headers.set('content-type', 'application/x-www-form-urlencoded');
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(new URL(path, this.base), {
      method: init.method ?? 'GET',
      headers,
      redirect: 'manual',
      ...(body === undefined ? {} : { body }),
    });
    const setCookies = response.headers.getSetCookie().map(parseSetCookie);
    if (init.cookie === undefined) {
      for (const c of setCookies) {
        if (isDeletion(c)) this.jar.delete(c.name);
        else this.jar.set(c.name, c.value);
      }
    }
    return {
      status: response.status,
      headers: response.headers,
      body: await response.text(),
      setCookies,
    };
  }
}

/** The value of a hidden `_csrf` input in an HTML page, if any. */
export function csrfField(html: string): string | undefined {
  for (const tag of html.match(/<input\b[^>]*>/gi) ?? []) {
    if (!/\bname\s*=\s*["']?_csrf["'\s>]/i.test(tag)) continue;
    const value = /\bvalue\s*=\s*"([^"]*)"|\bvalue\s*=\s*'([^']*)'/i.exec(tag);
    if (value) return value[1] ?? value[2];
  }
  return undefined;
}
