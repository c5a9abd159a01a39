import { isIP } from 'node:net';

/**
 * @internal The network an address belongs to, as a canonical string: the first `v4Bits` of an
 * IPv4 address or the first `v6Bits` of an IPv6 one (IPv4-mapped IPv6 counts as IPv4). Anything
 * unparsable is returned as-is, so a malformed address still compares equal only to itself.
 */
export function networkOf(ip: string, v4Bits: number, v6Bits: number): string {
  let address = ip.trim();
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1] !== undefined) address = mapped[1];
  const version = isIP(address);
  if (version === 4) return `${prefix(address.split('.').map(Number), 8, v4Bits)}/${v4Bits}`;
  if (version === 6) return `${prefix(ipv6Groups(address), 16, v6Bits)}/${v6Bits}`;
  return ip;
}

function prefix(parts: number[], width: number, bits: number): string {
  return parts
    .map((part, i) => {
      const keep = Math.max(0, Math.min(width, bits - i * width));
      const masked = keep === 0 ? 0 : part & (((1 << keep) - 1) << (width - keep));
      return masked.toString(width === 8 ? 10 : 16);
    })
    .join(width === 8 ? '.' : ':');
}

/** Eight 16-bit groups of a valid IPv6 address (embedded IPv4 tail included). */
function ipv6Groups(address: string): number[] {
  let text = address.toLowerCase();
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4 !== null) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const middle = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...middle, ...right].map((group) => parseInt(group, 16));
}
