/**
 * The CLI's stdout and stderr. On Bun they write through `Bun.stdout.writer()` (a native sink):
 * the first touch of `process.stdout`/`process.stderr` builds a Node stream and loads Node's
 * stream modules, which cost a compiled `bgt` ~10 ms of start-up (measured: a hello-world through
 * `process.stdout.write` 17.2 ms, through `console.log` 4.8 ms). Elsewhere they are the process
 * streams. Every write is handed to the kernel at once (in order); {@linkcode endStdOutput} waits
 * for what a slow reader has not taken yet, and a reader that has gone (EPIPE) drops the rest.
 *
 * @example
 * ```ts
 * stdout.write("42\n");
 * await endStdOutput(); // before process.exit
 * ```
 */
import { fstatSync, readlinkSync } from "node:fs";

/** One of the two output streams. */
export interface StdOutput {
  /** Writes text or bytes (handed to the kernel now, or queued while the reader is slow). */
  write(data: string | Uint8Array): void;
  /** Resolves once everything written so far has been handed to the kernel (or dropped). */
  flushed(): Promise<void>;
  /** True when the stream is a terminal. */
  readonly isTTY: boolean;
  /** The terminal's width in columns; undefined when not a terminal. */
  readonly columns: number | undefined;
}

type FileSink = ReturnType<typeof Bun.stdout.writer>;

class _Output implements StdOutput {
  readonly #fd: 1 | 2;
  #sink: FileSink | undefined;
  #gone = false;
  #pending: Promise<unknown> = Promise.resolve();
  #tty: boolean | undefined;

  constructor(fd: 1 | 2) {
    this.#fd = fd;
  }

  write(data: string | Uint8Array): void {
    if (!("Bun" in globalThis)) {
      this.#process().write(data);
      return;
    }
    if (this.#gone) return;
    try {
      const sink = this.#sink ??= (this.#fd === 1 ? Bun.stdout : Bun.stderr).writer();
      sink.write(data);
      const flushed = sink.flush();
      if (flushed instanceof Promise) {
        this.#pending = Promise.all([this.#pending, flushed]).catch(() => this.#gone = true);
      }
    } catch {
      this.#gone = true; // the reader has gone (EPIPE): nothing more can be delivered
    }
  }

  flushed(): Promise<void> {
    if (!("Bun" in globalThis)) {
      return new Promise((resolve) => this.#process().write("", () => resolve()));
    }
    return this.#pending.then(() => undefined);
  }

  /** Waits until everything written has been handed to the kernel, then closes the sink. */
  async end(): Promise<void> {
    if (!("Bun" in globalThis)) return await endedStream(this.#process());
    await this.#pending;
    if (this.#sink === undefined || this.#gone) return;
    try {
      await this.#sink.end();
    } catch {
      // The reader has gone.
    }
  }

  get isTTY(): boolean {
    // A pipe, a file or /dev/null (the common cases in scripts) is told by one fstat and a
    // readlink; another character device (a terminal) is asked of the process stream.
    return this.#tty ??= _characterDevice(this.#fd) && !_devNull(this.#fd) &&
      Boolean(this.#process().isTTY);
  }

  get columns(): number | undefined {
    return this.isTTY ? this.#process().columns : undefined;
  }

  #process(): NodeJS.WriteStream {
    return this.#fd === 1 ? process.stdout : process.stderr;
  }
}

/** The process's standard output. */
export const stdout: StdOutput = new _Output(1);
/** The process's standard error. */
export const stderr: StdOutput = new _Output(2);

/**
 * Resolves once stdout and stderr have handed everything written to them to the kernel: on a
 * pipe, writes are queued, and `process.exit` alone would drop all but the first 64 KiB when the
 * reader is slower than bgt. A reader that has gone (EPIPE) ends the wait too.
 */
export async function endStdOutput(): Promise<void> {
  await Promise.all([(stdout as _Output).end(), (stderr as _Output).end()]);
}

/** True when `fd` is /dev/null (told by Linux's /proc; false where that cannot be read). */
function _devNull(fd: number): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd}`) === "/dev/null";
  } catch {
    return false;
  }
}

function _characterDevice(fd: number): boolean {
  try {
    return fstatSync(fd).isCharacterDevice();
  } catch {
    return false;
  }
}

/**
 * Ends `stream` and resolves once everything queued on it is written, or it failed. (Ending is
 * the one wait every runtime keeps: Bun calls back an empty write at once, and its `drain` comes
 * only after a write that returned false.)
 *
 * @example
 * ```ts
 * await Promise.all([process.stdout, process.stderr].map(endedStream)); // then process.exit
 * ```
 */
export function endedStream(stream: NodeJS.WriteStream): Promise<void> {
  if (stream.destroyed || stream.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off("error", done);
      stream.off("close", done);
      resolve();
    };
    stream.once("error", done);
    stream.once("close", done);
    stream.end(done);
  });
}
