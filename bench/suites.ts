import type { Target } from './lib.js';

export interface BenchTarget extends Target {
  /** Name of the row this one is compared with. */
  readonly baseline?: string;
  /** No session: requests are sent without a cookie. */
  readonly bare?: boolean;
  /** Also count lost updates under concurrent writes to one session. */
  readonly lostUpdates?: boolean;
}

export interface Suite {
  readonly title: string;
  readonly targets: readonly BenchTarget[];
}

export const suites: Record<string, Suite> = {
  core: {
    title: 'node:http and Express, memory stores',
    targets: [
      { name: 'node:http bare', script: 'node-bare.ts', bare: true },
      {
        name: 'node:http + Latchkey (memory)',
        script: 'node-latchkey.ts',
        baseline: 'node:http bare',
        lostUpdates: true,
      },
      { name: 'Express 5 bare', script: 'express-bare.ts', bare: true },
      {
        name: 'Express 5 + express-session (MemoryStore)',
        script: 'express-session.ts',
        baseline: 'Express 5 bare',
        lostUpdates: true,
      },
    ],
  },
};
