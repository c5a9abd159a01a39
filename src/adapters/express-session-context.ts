import type { IncomingMessage } from 'node:http';
import type { Session } from './express-session-session.js';

/** The request as this module sees it (Express adds the rest; nothing here is declared globally). */
export type SessionRequest = IncomingMessage & {
  session?: Session | null | undefined;
  sessionID?: string | undefined;
  sessionStore?: unknown;
  secret?: unknown;
  secure?: boolean;
  originalUrl?: string;
};

/** Node-style completion callback, as in express-session. */
export type Callback = (error?: unknown) => void;

/**
 * What one mounted middleware does for a session's methods; found through the request, so a
 * `Session` keeps express-session's shape (only `req` and `id` besides the data).
 */
export interface SessionOperations {
  save(session: Session, done: Callback): void;
  reload(session: Session, done: Callback): void;
  destroy(session: Session, done: Callback): void;
  regenerate(session: Session, done: Callback): void;
}

const operations = new WeakMap<object, SessionOperations>();

export function attachOperations(req: object, ops: SessionOperations): void {
  operations.set(req, ops);
}

export function operationsOf(req: object): SessionOperations | undefined {
  return operations.get(req);
}

/** Runs `fn` asynchronously (after the current operation), as a store callback would run. */
export function later(fn: () => void): void {
  process.nextTick(fn);
}
