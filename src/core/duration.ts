/**
 * A length of time: milliseconds as a number, or a string such as `"500ms"`, `"90s"`, `"30m"`,
 * `"12h"`, `"30d"`, `"2w"`. Several parts may be combined: `"1h30m"`.
 */
export type Duration = number | string;

const UNIT_MS: Readonly<Record<string, number>> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

// One or more "<integer><unit>" parts, e.g. "1h30m". Whole numbers only: "1.5h" is ambiguous
// enough in configuration files that we ask for "90m" instead.
const PART = /(\d+)(ms|s|m|h|d|w)/gy;

/**
 * Converts a {@link Duration} to milliseconds.
 *
 * @param what names the option in the error message, so a misconfiguration says what to change.
 * @throws TypeError when the value is not a finite, non-negative number or a well-formed string.
 */
export function toMilliseconds(value: Duration, what: string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) {
      throw new TypeError(`${what} must be a non-negative number of milliseconds, got ${value}`);
    }
    return value;
  }
  if (typeof value !== 'string' || value.length === 0) {
    throw new TypeError(
      `${what} must be milliseconds or a string like "30m", got ${JSON.stringify(value)}`,
    );
  }
  PART.lastIndex = 0;
  let total = 0;
  let matched = 0;
  for (let m = PART.exec(value); m !== null; m = PART.exec(value)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? Number.NaN);
    matched = PART.lastIndex;
  }
  if (matched !== value.length || !Number.isFinite(total)) {
    throw new TypeError(
      `${what}: cannot read "${value}" as a duration; use milliseconds or units ms, s, m, h, d, w (e.g. "30m", "1h30m")`,
    );
  }
  return total;
}
