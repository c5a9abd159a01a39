/** Exit codes of the `latchkey` command. */
export const EXIT = {
  /** Success. */
  ok: 0,
  /** A check failed, a usage or configuration mistake, or the thing asked for does not exist. */
  failure: 1,
  /** The session store could not be reached or opened (or failed during the command). */
  unreachable: 2,
} as const;

/**
 * An expected failure of a command: `main.ts` prints its one-line message (no stack trace) and
 * exits with `exitCode`. Any other error is treated as the store failing (exit code 2).
 */
export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failure,
  ) {
    super(message);
  }
}

/**
 * One line describing `error` for people: its message, or for a message-less error (Node's
 * AggregateError when every address refused the connection) the code or first inner message.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  if (error.message !== '') return error.message.split('\n')[0] ?? error.message;
  const inner = error instanceof AggregateError ? (error.errors[0] as unknown) : undefined;
  if (inner !== undefined) return describeError(inner);
  const code = (error as NodeJS.ErrnoException).code;
  return code ?? error.name;
}
