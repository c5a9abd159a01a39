/**
 * The typing instructions of docs/adapters/*.md, compiled for real: each fixture is an app written
 * the way the docs say, type-checked in a TypeScript program of its own (so its global
 * augmentations stay out of this project's program). `@ts-expect-error` lines are the misuse the
 * types must catch: if a type went loose, the directive would be unused and the test would fail.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURES = join(ROOT, 'test', 'adapters', '__typing__');
/** Our adapter sources: a clash of augmentations would be reported in one of these. */
const OURS = ['express', 'fastify', 'hono'].map((name) =>
  join(ROOT, 'src', 'adapters', `${name}.ts`),
);

function compilerOptions(): ts.CompilerOptions {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path)) as {
    config: unknown;
  };
  const parsed = ts.parseJsonConfigFileContent(config, ts.sys, ROOT);
  return { ...parsed.options, noEmit: true, types: ['node'] };
}

/** Parsed declaration files, shared by the programs of this file (parsing them is the slow part). */
const parsed = new Map<string, ts.SourceFile>();

/** Type errors of the fixture files (and of our adapters), as "file:line: message" lines. */
function typeErrors(fixtures: Record<string, string>): string[] {
  const options = compilerOptions();
  const virtual = new Map(
    Object.entries(fixtures).map(([name, text]) => [join(FIXTURES, name), text] as const),
  );
  const host = ts.createCompilerHost(options);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (path) => virtual.has(path) || fileExists(path);
  host.readFile = (path) => virtual.get(path) ?? readFile(path);
  host.getSourceFile = (path, language, onError, create) => {
    const text = virtual.get(path);
    if (text !== undefined) return ts.createSourceFile(path, text, language);
    let file = parsed.get(path);
    if (file === undefined) {
      file = getSourceFile(path, language, onError, create);
      if (file !== undefined && path.includes('node_modules')) parsed.set(path, file);
    }
    return file;
  };
  const program = ts.createProgram([...virtual.keys()], options, host);
  const watched = new Set([...virtual.keys(), ...OURS]);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file !== undefined && watched.has(d.file.fileName))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      return `${d.file!.fileName.slice(ROOT.length + 1)}:${line + 1}: ${message}`;
    });
}

const EXPRESS_APP = `
import express from 'express';
import { createSessions, type Session } from 'latchkey';
import { sessionMiddleware } from 'latchkey/express';
import { memoryStore } from 'latchkey/stores/memory';

type AppData = { cart: string[]; visits: number };

declare global {
  namespace Express {
    interface Request {
      session: Session<AppData>;
    }
  }
}

const sessions = createSessions<AppData>({ store: memoryStore() });
const app = express();
app.use(sessionMiddleware(sessions));
app.post('/cart', async (req, res) => {
  const cart: string[] = (await req.session.get('cart')) ?? [];
  await req.session.set('cart', [...cart, 'book']);
  // @ts-expect-error: not a key of AppData
  await req.session.get('nope');
  // @ts-expect-error: visits is a number
  await req.session.set('visits', 'many');
  res.json(cart);
});
`;

const FASTIFY_APP = `
import fastify from 'fastify';
import { createSessions, type Session } from 'latchkey';
import latchkey from 'latchkey/fastify';
import { memoryStore } from 'latchkey/stores/memory';

type AppData = { cart: string[]; visits: number };

declare module 'fastify' {
  interface FastifyRequest {
    session: Session<AppData>;
  }
}

const sessions = createSessions<AppData>({ store: memoryStore() });
const app = fastify();
await app.register(latchkey, { sessions });
app.post('/cart', async (request) => {
  const cart: string[] = (await request.session.get('cart')) ?? [];
  await request.session.set('cart', [...cart, 'book']);
  // @ts-expect-error: not a key of AppData
  await request.session.get('nope');
  // @ts-expect-error: visits is a number
  await request.session.set('visits', 'many');
  return cart;
});
// @ts-expect-error: the sessions option is required
await app.register(latchkey, {});
`;

const HONO_APP = `
import { Hono } from 'hono';
import { createSessions, type Session } from 'latchkey';
import { sessionMiddleware, type SessionEnv } from 'latchkey/hono';
import { memoryStore } from 'latchkey/stores/memory';

type AppData = { cart: string[]; visits: number };

const sessions = createSessions<AppData>({ store: memoryStore() });
const app = new Hono<SessionEnv<AppData>>();
app.use(sessionMiddleware(sessions));
app.post('/cart', async (c) => {
  const session: Session<AppData> = c.get('session');
  const cart: string[] = (await session.get('cart')) ?? [];
  await session.set('cart', [...cart, 'book']);
  // @ts-expect-error: not a key of AppData
  await session.get('nope');
  // @ts-expect-error: visits is a number
  await session.set('visits', 'many');
  return c.json(cart);
});

// With bindings and variables of the app's own.
type Env = SessionEnv<AppData> & { Bindings: { SECRET: string }; Variables: { requestId: string } };
const wider = new Hono<Env>();
wider.use(sessionMiddleware(sessions));
wider.get('/', async (c) => c.text(c.get('requestId') + String(await c.get('session').get('visits'))));
`;

/** Another session library's typings in the same program: ours must not clash with them. */
const NEIGHBOURS = `
import type { RequestHandler } from 'express';
import type {} from 'express-session';
import type { FastifyRequest } from 'fastify';
import type {} from '@fastify/session';
import { sessionMiddleware } from 'latchkey/express';
import latchkey from 'latchkey/fastify';

void sessionMiddleware;
void latchkey;
export const handler: RequestHandler = (req, res) => {
  req.session.regenerate(() => res.send(req.sessionID));
};
export function cookieOf(request: FastifyRequest): string {
  return request.session.sessionId;
}
`;

/** The "Complete example" of docs/adapters/<name>.md: the first ts block after that heading. */
function docExample(name: string): string {
  const markdown = readFileSync(join(ROOT, 'docs', 'adapters', `${name}.md`), 'utf8');
  const section = markdown.split('\n## Complete example\n')[1] ?? '';
  const code = /```ts\n([\s\S]*?)\n```/.exec(section)?.[1];
  assert.ok(code !== undefined, `docs/adapters/${name}.md has a complete example`);
  return code;
}

describe('adapter typing, as the docs describe it', () => {
  it('compiles the complete example of every adapter page', () => {
    const names = ['node', 'express', 'fastify', 'hono'];
    const errors = typeErrors(
      Object.fromEntries(names.map((name) => [`doc-${name}.ts`, docExample(name)])),
    );
    assert.deepEqual(errors, []);
  });

  it('types req.session, request.session and c.get("session") from the app’s data shape', () => {
    const errors = typeErrors({
      'express-app.ts': EXPRESS_APP,
      'fastify-app.ts': FASTIFY_APP,
      'hono-app.ts': HONO_APP,
    });
    assert.deepEqual(errors, []);
  });

  it('leaves req.session / request.session alone for express-session and @fastify/session', () => {
    assert.deepEqual(typeErrors({ 'neighbours.ts': NEIGHBOURS }), []);
  });

  it('catches misuse (sanity check of this harness)', () => {
    const errors = typeErrors({ 'broken.ts': `const n: number = 'text';\nexport { n };\n` });
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /broken\.ts:1: Type 'string' is not assignable to type 'number'/);
  });
});
