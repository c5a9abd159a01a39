/**
 * A short, human description of a device from its User-Agent, for "your sessions" lists
 * ("Firefox on Linux"). Deliberately coarse: User-Agent is client-controlled and only a hint, so
 * never base a security decision on it. Unknown or missing agents read as "Unknown device".
 */
export function describeDevice(userAgent: string | null | undefined): string {
  if (typeof userAgent !== 'string' || userAgent.trim() === '') return 'Unknown device';
  const ua = userAgent.slice(0, 512);
  const browser = first(ua, BROWSERS);
  const os = first(ua, SYSTEMS);
  if (browser === null && os === null) return 'Unknown device';
  if (browser === null) return `Unknown browser on ${os ?? ''}`;
  return os === null ? browser : `${browser} on ${os}`;
}

// Order matters: Edge and Opera also say "Chrome", Chrome also says "Safari", iOS says "Mac OS X".
const BROWSERS: readonly (readonly [RegExp, string])[] = [
  [/\bEdg(?:e|A|iOS)?\//, 'Edge'],
  [/\bOPR\/|\bOpera\b/, 'Opera'],
  [/\bSamsungBrowser\//, 'Samsung Internet'],
  [/\bFirefox\/|\bFxiOS\//, 'Firefox'],
  [/\bChrome\/|\bCriOS\//, 'Chrome'],
  [/\bVersion\/[\d.]+.*\bSafari\//, 'Safari'],
  [/\bcurl\//, 'curl'],
];

const SYSTEMS: readonly (readonly [RegExp, string])[] = [
  [/\biPhone\b|\biPad\b|\biPod\b/, 'iOS'],
  [/\bAndroid\b/, 'Android'],
  [/\bWindows\b/, 'Windows'],
  [/\bMac OS X\b|\bMacintosh\b/, 'macOS'],
  [/\bCrOS\b/, 'ChromeOS'],
  [/\bLinux\b/, 'Linux'],
];

function first(ua: string, table: readonly (readonly [RegExp, string])[]): string | null {
  for (const [pattern, name] of table) if (pattern.test(ua)) return name;
  return null;
}
