// Store writes per session per minute under read-only load (issue 3 target: at most 1).
//   node --conditions=latchkey-source --import tsx bench/writes.ts
// Simulated time: 200 sessions each make a read-only request every `interval` ms for 30 minutes of
// the app's clock, through the real session engine and memory store with a counting wrapper.
import { createSessions, type Store } from 'latchkey';
import { memoryStore } from 'latchkey/stores/memory';

const SESSIONS = 200;
const MINUTES = 30;
let writes = 0;
const inner = memoryStore();
const store: Store = {
  ...inner,
  create: (record, now) => inner.create(record, now),
  update: (id, patch, now) => {
    writes++;
    return inner.update(id, patch, now);
  },
};
let time = Date.now();
const sessions = createSessions<{ n: number }>({ store, now: () => time });

console.log('| read-only request every | writes per session per minute |');
console.log('| ---: | ---: |');
for (const interval of [100, 1000, 10_000]) {
  const cookies: string[] = [];
  for (let i = 0; i < SESSIONS; i++) {
    const s = sessions.fromRequest({ cookie: undefined });
    await s.set('n', i);
    const result = await sessions.commit(s);
    cookies.push(result.setCookie?.split(';')[0] ?? '');
  }
  writes = 0;
  const end = time + MINUTES * 60_000;
  while (time < end) {
    time += interval;
    for (const cookie of cookies) {
      const s = sessions.fromRequest({ cookie });
      await s.get('n');
      await sessions.commit(s);
    }
  }
  console.log(`| ${interval / 1000} s | ${(writes / SESSIONS / MINUTES).toFixed(2)} |`);
}
