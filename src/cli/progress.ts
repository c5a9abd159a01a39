/**
 * Progress of a long-running command on stderr. On a terminal: one line redrawn in place, a bar
 * with a percentage when the total is known, a running count otherwise. Elsewhere (a pipe, a log
 * file): a plain line at most once a second, so logs stay short. Nothing goes to stdout, which
 * holds the command's result.
 */
export interface Progress {
  /** `done` items so far. */
  update(done: number): void;
  /** Ends the progress display (clears the terminal line). */
  finish(done: number): void;
}

const WIDTH = 30;

/** A progress display for `total` items (unknown: undefined) labelled `label`. */
export function progress(
  label: string,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
  clock: () => number = Date.now,
): Progress {
  const max = total ?? 0;
  const text = (done: number): string => {
    if (max <= 0) return `${label}: ${done}`;
    // The total was counted before the purge started: more may expire meanwhile.
    const ratio = Math.min(1, done / max);
    const filled = Math.round(ratio * WIDTH);
    return (
      `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ` +
      `${Math.floor(ratio * 100)}% ${done}/${Math.max(max, done)}`
    );
  };
  if (stream.isTTY) {
    return {
      update(done) {
        stream.write(`\r${text(done)}\u001b[K`);
      },
      finish(done) {
        stream.write(`\r${text(done)}\u001b[K\n`);
      },
    };
  }
  let last = clock();
  return {
    update(done) {
      if (clock() - last < 1000) return;
      last = clock();
      stream.write(`${text(done)}\n`);
    },
    finish() {
      // The result line on stdout says the total; nothing more to add here.
    },
  };
}
