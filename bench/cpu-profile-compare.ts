// Compares two CPU profiles written by bench/cpu-profile.sh: self time per request of every
// function, the first server's against the second's, largest differences first. Time the process
// spent idle (before the load started, after it ended) is left out.
//
//   node --import tsx bench/cpu-profile-compare.ts <dir> <baseline dir> [rows]
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { functionName: string; url: string; lineNumber: number };
}
interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

/** Nanoseconds of self time per request, by "function file:line". */
function selfTimePerRequest(dir: string): Map<string, number> {
  // node writes one profile per thread; the main thread's is the largest.
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .map((name) => join(dir, name));
  const main = files
    .map((file) => readFileSync(file, 'utf8'))
    .sort((a, b) => b.length - a.length)[0];
  if (main === undefined) throw new Error(`no .cpuprofile in ${dir}`);
  const requests = Number(readFileSync(join(dir, 'requests'), 'utf8'));
  if (!(requests > 0)) throw new Error(`no request count in ${dir}/requests`);
  const profile = JSON.parse(main) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)?.callFrame;
    if (frame === undefined || frame.functionName === '(idle)') return;
    const file = frame.url.split('/').slice(-2).join('/');
    const key = `${frame.functionName || '(anonymous)'} ${file}:${frame.lineNumber + 1}`;
    // timeDeltas are microseconds; report nanoseconds per request.
    totals.set(key, (totals.get(key) ?? 0) + (profile.timeDeltas[i] ?? 0) * 1000);
  });
  for (const [key, value] of totals) totals.set(key, value / requests);
  return totals;
}

const [dir, baselineDir, rowsArg] = process.argv.slice(2);
if (dir === undefined || baselineDir === undefined) {
  console.error('usage: cpu-profile-compare.ts <dir> <baseline dir> [rows]');
  process.exit(2);
}
const a = selfTimePerRequest(dir);
const b = selfTimePerRequest(baselineDir);
const sum = (m: Map<string, number>): number => [...m.values()].reduce((x, y) => x + y, 0);
const ns = (value: number): string => Math.round(value).toLocaleString('en-US');
console.log(
  `busy per request: ${ns(sum(a))} ns (${dir}) against ${ns(sum(b))} ns (${baselineDir})`,
);
console.log('difference, this, baseline (ns per request), function');
const rows = [...new Set([...a.keys(), ...b.keys()])]
  .map((key) => ({ key, mine: a.get(key) ?? 0, base: b.get(key) ?? 0 }))
  .sort((x, y) => Math.abs(y.mine - y.base) - Math.abs(x.mine - x.base))
  .slice(0, Number(rowsArg ?? 40));
for (const { key, mine, base } of rows) {
  console.log(
    `${ns(mine - base).padStart(7)} ${ns(mine).padStart(7)} ${ns(base).padStart(7)}  ${key}`,
  );
}
