import type { Target } from './lib.js';

export interface BenchTarget extends Target {
  /** Name of the row this one is compared with. */
  readonly baseline?: string;
  /** No session: requests are sent without a cookie. */
  readonly bare?: boolean;
  /**
   * No session, but every request carries a session-shaped cookie (an unknown token): the server
   * parses the same request bytes as a session row does.
   */
  readonly sampleCookie?: boolean;
  /** A second row to compare with, one sent the same requests; printed under the table. */
  readonly sameRequestsAs?: string;
  /** Also count lost updates under concurrent writes to one session. */
  readonly lostUpdates?: boolean;
}

export interface Suite {
  readonly title: string;
  readonly targets: readonly BenchTarget[];
}

const NODE_BARE = 'node:http bare';
const NODE_BARE_COOKIE = 'node:http bare, sent a session cookie';
const EXPRESS_BARE = 'Express 5 bare';

export const suites: Record<string, Suite> = {
  core: {
    title: 'node:http and Express, memory stores',
    targets: [
      { name: NODE_BARE, script: 'node-bare.ts', bare: true },
      { name: NODE_BARE_COOKIE, script: 'node-bare.ts', bare: true, sampleCookie: true },
      {
        name: 'node:http + Latchkey (memory)',
        script: 'node-latchkey.ts',
        baseline: NODE_BARE,
        sameRequestsAs: NODE_BARE_COOKIE,
        lostUpdates: true,
      },
      {
        name: 'node:http floor (async handler, Vary)',
        script: 'node-floor.ts',
        bare: true,
        baseline: NODE_BARE,
      },
      { name: EXPRESS_BARE, script: 'express-bare.ts', bare: true },
      {
        name: 'Express 5 + express-session (MemoryStore)',
        script: 'express-session.ts',
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
    ],
  },
  frameworks: {
    title: 'Frameworks: bare, Latchkey (memory store), and the usual session library',
    targets: [
      { name: EXPRESS_BARE, script: 'express-bare.ts', bare: true },
      {
        name: 'Express 5 floor (hook, async route, Vary)',
        script: 'express-floor.ts',
        bare: true,
        baseline: EXPRESS_BARE,
      },
      { name: 'Express 5 + Latchkey', script: 'express-latchkey.ts', baseline: EXPRESS_BARE },
      { name: 'Express 5 + express-session', script: 'express-session.ts', baseline: EXPRESS_BARE },
      { name: 'Fastify 5 bare', script: 'fastify-bare.ts', bare: true },
      { name: 'Fastify 5 + Latchkey', script: 'fastify-latchkey.ts', baseline: 'Fastify 5 bare' },
      {
        name: 'Fastify 5 + @fastify/session',
        script: 'fastify-session.ts',
        baseline: 'Fastify 5 bare',
      },
      { name: 'Hono 4 bare', script: 'hono-bare.ts', bare: true },
      {
        name: 'Hono 4 floor (async middleware and route, Vary)',
        script: 'hono-floor.ts',
        bare: true,
        baseline: 'Hono 4 bare',
      },
      { name: 'Hono 4 + Latchkey', script: 'hono-latchkey.ts', baseline: 'Hono 4 bare' },
    ],
  },
  stores: {
    title: 'Stores on node:http, and Latchkey + Redis against express-session + connect-redis',
    targets: [
      { name: NODE_BARE, script: 'node-bare.ts', bare: true },
      { name: 'Latchkey memory', script: 'node-latchkey.ts', baseline: NODE_BARE },
      {
        name: 'Latchkey SQLite (file, WAL)',
        script: 'node-latchkey.ts',
        env: { BENCH_STORE: 'sqlite' },
        baseline: NODE_BARE,
      },
      {
        name: 'Latchkey Redis (ioredis)',
        script: 'node-latchkey.ts',
        env: { BENCH_STORE: 'redis' },
        baseline: NODE_BARE,
        lostUpdates: true,
      },
      {
        name: 'Latchkey PostgreSQL',
        script: 'node-latchkey.ts',
        env: { BENCH_STORE: 'postgres' },
        baseline: NODE_BARE,
      },
      {
        name: 'Latchkey file',
        script: 'node-latchkey.ts',
        env: { BENCH_STORE: 'file' },
        baseline: NODE_BARE,
      },
      {
        name: 'Latchkey sealed cookies (no store)',
        script: 'node-cookie-sessions.ts',
        baseline: NODE_BARE,
      },
      { name: EXPRESS_BARE, script: 'express-bare.ts', bare: true },
      {
        name: 'Express 5 + Latchkey Redis',
        script: 'express-latchkey.ts',
        env: { BENCH_STORE: 'redis' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'Express 5 + express-session + connect-redis',
        script: 'express-session.ts',
        env: { BENCH_ES_STORE: 'redis' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
    ],
  },
  dropin: {
    title: 'The same Express app on express-session and on latchkey/express-session',
    targets: [
      { name: EXPRESS_BARE, script: 'express-bare.ts', bare: true },
      {
        name: 'express-session, MemoryStore',
        script: 'express-session.ts',
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'latchkey/express-session, its MemoryStore',
        script: 'express-dropin.ts',
        env: { BENCH_DROPIN_STORE: 'memory' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'latchkey/express-session, Latchkey memory store',
        script: 'express-dropin.ts',
        env: { BENCH_DROPIN_STORE: 'latchkey-memory' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'express-session + connect-redis',
        script: 'express-session.ts',
        env: { BENCH_ES_STORE: 'redis' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'latchkey/express-session + connect-redis',
        script: 'express-dropin.ts',
        env: { BENCH_DROPIN_STORE: 'redis' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
      {
        name: 'latchkey/express-session + Latchkey Redis store',
        script: 'express-dropin.ts',
        env: { BENCH_DROPIN_STORE: 'latchkey-redis' },
        baseline: EXPRESS_BARE,
        lostUpdates: true,
      },
    ],
  },
};
