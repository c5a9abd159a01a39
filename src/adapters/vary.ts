/**
 * `Vary` with `Cookie` added, or null when the value already covers cookies (`*`, or `Cookie` in
 * any case). Shared by every adapter, whatever its header API.
 */
export function varyWithCookie(current: string | null | undefined): string | null {
  const value = current ?? '';
  if (value.trim() === '') return 'Cookie';
  if (value.trim() === '*' || /(^|,)\s*cookie\s*(,|$)/i.test(value)) return null;
  return `${value}, Cookie`;
}

/** A node-style header value (number, string or list) as one comma-joined string. */
export function headerText(value: number | string | readonly string[] | undefined): string {
  if (Array.isArray(value)) return value.join(', ');
  return value === undefined ? '' : String(value);
}
