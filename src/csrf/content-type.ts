/**
 * SEC-44: a JSON endpoint must not accept what a cross-site page can send without a CORS preflight.
 * A page can POST `text/plain`, `application/x-www-form-urlencoded` or `multipart/form-data` (or no
 * Content-Type at all) to any origin; `application/json` needs a preflight the app never grants to
 * strangers. An endpoint that parses JSON whatever the declared type would otherwise accept
 * `<form enctype="text/plain">` or `fetch(url, { mode: 'no-cors', body })` from any site.
 */

/** The essence (type/subtype, lower case) of a Content-Type value, or '' when absent. */
function essenceOf(contentType: string | undefined): string {
  if (contentType === undefined) return '';
  return (contentType.split(';')[0] ?? '').trim().toLowerCase();
}

/** `application/json` or a structured `+json` type. */
function isJson(essence: string): boolean {
  return essence === 'application/json' || /^application\/[a-z0-9.!#$&^_+-]+\+json$/.test(essence);
}

const SIMPLE = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);

/**
 * True when an unsafe request to a JSON endpoint carries a body type a cross-site page could have
 * sent without a preflight: one of the three CORS-safelisted types, anything unparsable, or, for
 * POST, no Content-Type at all (PUT, PATCH and DELETE always need a preflight cross-origin, so a
 * body-less DELETE may omit it).
 */
export function isSimpleContentType(method: string, contentType: string | undefined): boolean {
  const essence = essenceOf(contentType);
  if (isJson(essence)) return false;
  if (essence === '') return method === 'POST';
  if (SIMPLE.has(essence)) return true;
  // Browsers only send well-formed media types without a preflight; anything else is suspicious.
  return !/^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(essence);
}
