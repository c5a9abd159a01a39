import { createServer, type RequestListener } from 'node:http';
import { connect } from 'node:net';
import { listen, type TestServer } from '../helpers/http.js';

/**
 * A byte-level HTTP/1.1 client for fuzzing: it sends exactly the bytes it is given (binary header
 * values, repeated headers, 100 KB cookies), which fetch and node:http refuse to produce, over a
 * fresh connection that the request closes (`Connection: close`), so one case cannot poison the
 * next one's connection.
 */

export interface RawResponse {
  /** 0 when the server closed or reset the connection without answering. */
  readonly status: number;
  /** Header names in lower case, values as sent (latin1). */
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string;
  /** The whole response as latin1 text, for echo checks. */
  readonly text: string;
}

/** A server that accepts headers up to 256 KB, so 100 KB cookies reach the handler instead of
 * bouncing off node's default 16 KB limit with a 431. */
export function bigHeaderServer(handler: RequestListener): Promise<TestServer> {
  return listen(createServer({ maxHeaderSize: 256 * 1024 }, handler));
}

export function portOf(server: TestServer): number {
  return Number(new URL(server.url).port);
}

/** The request head: request line, Host, `headers` (name, raw bytes) in order, Connection: close. */
export function requestHead(
  method: string,
  path: string,
  headers: readonly (readonly [string, Uint8Array | string])[],
): Buffer {
  const parts: Buffer[] = [Buffer.from(`${method} ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n`)];
  for (const [name, value] of headers) {
    parts.push(Buffer.from(`${name}: `, 'latin1'));
    parts.push(typeof value === 'string' ? Buffer.from(value, 'latin1') : Buffer.from(value));
    parts.push(Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('Connection: close\r\n\r\n'));
  return Buffer.concat(parts);
}

/** Sends `head` and `body` on a new connection and reads the response until the server closes. */
export function rawRequest(
  port: number,
  head: Buffer,
  body: Uint8Array = new Uint8Array(0),
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let failed: NodeJS.ErrnoException | undefined;
    socket.setTimeout(10_000, () => {
      socket.destroy(new Error('raw request: no response within 10 s'));
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // A server that rejects a request mid-upload (a parse error) may reset the connection while
    // we still write; what it answered before that is still the answer.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      failed = error;
    });
    socket.on('close', () => {
      if (failed !== undefined && failed.code !== 'ECONNRESET' && failed.code !== 'EPIPE') {
        reject(failed);
        return;
      }
      resolve(parseResponse(Buffer.concat(chunks)));
    });
    socket.write(Buffer.concat([head, body]));
  });
}

function dechunk(raw: string): string {
  let out = '';
  let rest = raw;
  for (;;) {
    const eol = rest.indexOf('\r\n');
    if (eol < 0) return out;
    const size = parseInt(rest.slice(0, eol), 16);
    if (!(size > 0)) return out;
    out += rest.slice(eol + 2, eol + 2 + size);
    rest = rest.slice(eol + 2 + size + 2);
  }
}

export function parseResponse(raw: Buffer): RawResponse {
  const text = raw.toString('latin1');
  const end = text.indexOf('\r\n\r\n');
  const status = /^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1];
  if (end < 0 || status === undefined) return { status: 0, headers: [], body: '', text };
  const headers = text
    .slice(0, end)
    .split('\r\n')
    .slice(1)
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()];
    });
  const chunked = headers.some(([n, v]) => n === 'transfer-encoding' && /chunked/i.test(v));
  const rawBody = text.slice(end + 4);
  const body = Buffer.from(chunked ? dechunk(rawBody) : rawBody, 'latin1').toString('utf8');
  return { status: Number(status), headers, body, text };
}

/**
 * The response as latin1 text without its Set-Cookie lines, for echo checks: a new session cookie
 * legitimately shares fragments with what the client sent (the cookie name, a sealed cookie's
 * `v1.<key id>.` prefix) and is checked on its own (it must differ from the input).
 */
export function textWithoutSetCookie(response: RawResponse): string {
  return response.text
    .split('\r\n')
    .filter((line) => !/^set-cookie:/i.test(line))
    .join('\r\n');
}

/** Every Set-Cookie of `name` in a response: its value (undefined when there is none). */
export function setCookieValues(response: RawResponse, name: string): string[] {
  return response.headers
    .filter(([n, v]) => n === 'set-cookie' && v.startsWith(`${name}=`))
    .map(([, v]) => v.slice(name.length + 1).split(';')[0] ?? '');
}
