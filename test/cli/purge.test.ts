import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { purgeExpired } from '../../src/cli/purge.js';
import { progress } from '../../src/cli/progress.js';
import { memoryStore } from '../../src/stores/memory.js';
import { sampleRecord } from '../../src/testing/conformance.js';

const MINUTE = 60_000;

/** A stand-in for process.stderr that records what was written. */
function stream(isTTY: boolean): { stream: NodeJS.WriteStream; written: string[] } {
  const written: string[] = [];
  const fake = {
    isTTY,
    write(chunk: string) {
      written.push(chunk);
      return true;
    },
  };
  return { stream: fake as unknown as NodeJS.WriteStream, written };
}

describe('latchkey purge (in process)', () => {
  it('sweeps batch by batch, reporting progress against the expired count', async () => {
    const store = memoryStore();
    const now = Date.now();
    for (let i = 0; i < 1200; i++) {
      await store.create(sampleRecord({ expiresAt: now - MINUTE }), now - 2 * MINUTE);
    }
    const live = sampleRecord();
    await store.create(live, now);
    const updates: number[] = [];
    let total: number | undefined;
    let finished: number | undefined;
    const removed = await purgeExpired(store, { batch: 500 }, now, (t) => {
      total = t;
      return {
        update(done) {
          updates.push(done);
        },
        finish(done) {
          finished = done;
        },
      };
    });
    assert.equal(removed, 1200);
    assert.equal(total, 1200, 'the percentage is taken against count().expired');
    assert.deepEqual(updates, [500, 1000, 1200]);
    assert.equal(finished, 1200);
    assert.equal(store.size, 1, 'only the live session is left');
    assert.notEqual(await store.get(live.id, now), null);
  });

  it('draws a bar with a percentage on a terminal, a running count without a total', () => {
    const tty = stream(true);
    const bar = progress('purging', 200, tty.stream);
    bar.update(50);
    bar.finish(200);
    assert.match(tty.written[0] ?? '', /^\rpurging \[#{8}-{22}\] 25% 50\/200/);
    // eslint-disable-next-line no-control-regex
    assert.match(tty.written[1] ?? '', /100% 200\/200\u001b\[K\n$/);
    const unknown = stream(true);
    progress('purging', undefined, unknown.stream).update(7);
    assert.match(unknown.written[0] ?? '', /^\rpurging: 7/);
  });

  it('writes plain lines, at most one a second, when stderr is not a terminal', () => {
    const pipe = stream(false);
    let clock = 0;
    const bar = progress('purging', 100, pipe.stream, () => clock);
    bar.update(10);
    clock = 1500;
    bar.update(20);
    bar.update(30);
    bar.finish(100);
    assert.deepEqual(pipe.written, [`purging [######------------------------] 20% 20/100\n`]);
    assert.ok(
      pipe.written.every((line) => !line.includes('\r')),
      'no carriage returns in logs',
    );
  });
});
