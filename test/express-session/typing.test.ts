/**
 * A TypeScript app migrating from express-session keeps `@types/express-session` for its
 * `req.session` type: with our middleware it must still compile, and its session typing must
 * still catch mistakes. The fixture is type-checked in a program of its own, so its augmentation
 * stays out of this project's program.
 */
import assert from 'node:assert/strict';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const FIXTURE = join(ROOT, 'test', 'express-session', '__typing__', 'app.ts');

const APP = `
import express from 'express';
import type {} from 'express-session';
import session, { MemoryStore } from '../../../src/adapters/express-session.js';
import { memoryStore } from '../../../src/stores/memory.js';

declare module 'express-session' {
  interface SessionData {
    views: number;
  }
}

const app = express();
app.use(session({ secret: 's', store: new MemoryStore(), resave: false, saveUninitialized: false }));
app.use(session({ secret: ['new', 'old'], store: memoryStore(), cookie: { secure: 'auto', sameSite: 'auto' } }));
app.get('/', (req, res) => {
  req.session.views = (req.session.views ?? 0) + 1;
  req.session.regenerate((err) => {
    res.send(String(err));
  });
  // @ts-expect-error views is a number
  req.session.views = 'x';
});
// @ts-expect-error unset takes 'keep' or 'destroy'
session({ secret: 's', unset: 'drop' });
`;

function typeErrors(text: string): string[] {
  const configPath = join(ROOT, 'tsconfig.json');
  const { config } = ts.readConfigFile(configPath, (path) => ts.sys.readFile(path)) as {
    config: unknown;
  };
  const options = {
    ...ts.parseJsonConfigFileContent(config, ts.sys, ROOT).options,
    noEmit: true,
    types: ['node'],
  };
  const host = ts.createCompilerHost(options);
  const fileExists = host.fileExists.bind(host);
  const readFile = host.readFile.bind(host);
  const getSourceFile = host.getSourceFile.bind(host);
  host.fileExists = (path) => path === FIXTURE || fileExists(path);
  host.readFile = (path) => (path === FIXTURE ? text : readFile(path));
  host.getSourceFile = (path, language, onError, create) =>
    path === FIXTURE
      ? ts.createSourceFile(path, text, language)
      : getSourceFile(path, language, onError, create);
  const program = ts.createProgram([FIXTURE], options, host);
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === FIXTURE || d.file?.fileName.includes('express-session-'))
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('typing', () => {
  it('an app typed with @types/express-session compiles with latchkey/express-session, and its mistakes are caught', () => {
    assert.deepEqual(typeErrors(APP), []);
  });
});
