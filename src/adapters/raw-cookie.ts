/**
 * The Cookie header straight from node's `rawHeaders` (name, value, name, value, ...): every header
 * named Cookie joined with "; ", as the Cookie header rules ask. Reading it here spares a request
 * the construction of node's `headers` object, or of a fetch `Headers`, on the session's account.
 */
export function rawCookieHeader(raw: readonly string[]): string | undefined {
  let value: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (isCookie(raw[i])) {
      value = value === undefined ? raw[i + 1] : `${value}; ${raw[i + 1] ?? ''}`;
    }
  }
  return value;
}

/** True for the header name Cookie in any case; the usual spellings without making a lowercase copy. */
function isCookie(name: string | undefined): boolean {
  return (
    name !== undefined &&
    name.length === 6 &&
    (name === 'Cookie' || name === 'cookie' || name.toLowerCase() === 'cookie')
  );
}
