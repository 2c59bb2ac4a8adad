/**
 * Where `bgt logs` writes a task's bytes: to stdout or stderr, in the order of the calls (a
 * write waits for the one before, so the two interleave as they were read), raw or with a prefix
 * at each line start (a line cut by another source is ended there and goes on after a new
 * prefix) and optionally in a colour. Whole lines — an attempt's separator, a note — can be put
 * between the bytes.
 *
 * @example
 * ```ts
 * const output = new LogOutput();
 * output.print({ fd: "stderr", style: RED }, "7:stderr", bytes);
 * output.line("stdout", "── attempt 2 ──");
 * await output.flush();
 * ```
 */
import { stderr, stdout } from "../runtime/std_output.ts";

/** One of this process's output streams. */
export type Fd = "stdout" | "stderr";

/** How one source's bytes are written. */
export interface Route {
  fd: Fd;
  /** Written at each line start (then whole lines only: a cut line is ended first). */
  prefix?: Uint8Array;
  /** SGR codes around the bytes, e.g. red: `["\x1b[31m", "\x1b[39m"]`. */
  style?: readonly [string, string];
}

/** Red, for stderr on a terminal. */
export const RED: readonly [string, string] = ["\x1b[31m", "\x1b[39m"];
/** Dim, for separators and notes on a terminal. */
export const DIM: readonly [string, string] = ["\x1b[2m", "\x1b[22m"];

const NEWLINE = new Uint8Array([10]);
const encoder = new TextEncoder();

/** Writes the sources of `bgt logs` to stdout and stderr, in order. */
export class LogOutput {
  #pending: Promise<void> = Promise.resolve();
  /** Per fd: the source written last and whether the fd is at a line start. */
  #state: Record<Fd, { last?: string; atLineStart: boolean }> = {
    stdout: { atLineStart: true },
    stderr: { atLineStart: true },
  };

  /** Writes bytes of the source `key` along its route. */
  print(route: Route, key: string, bytes: Uint8Array): void {
    if (!bytes.length) return;
    const state = this.#state[route.fd];
    const parts: Uint8Array[] = [];
    if (route.prefix) {
      if (state.last !== key && !state.atLineStart) parts.push(NEWLINE);
      for (let i = 0; i < bytes.length;) {
        const newline = bytes.indexOf(10, i);
        const stop = newline < 0 ? bytes.length : newline + 1;
        parts.push(route.prefix, ..._styled(bytes.subarray(i, stop), route.style));
        i = stop;
      }
    } else parts.push(..._styled(bytes, route.style));
    state.last = key;
    state.atLineStart = bytes[bytes.length - 1] === 10;
    this.#write(route.fd, _concat(parts));
  }

  /** Writes one whole line (an unfinished line on that fd is ended first). */
  line(fd: Fd, text: string, style?: readonly [string, string]): void {
    const state = this.#state[fd];
    const start = state.atLineStart ? "" : "\n";
    state.atLineStart = true;
    state.last = undefined;
    const body = style ? `${style[0]}${text}${style[1]}` : text;
    this.#write(fd, encoder.encode(`${start}${body}\n`));
  }

  /** Ends an unfinished line of a prefixed source (raw bytes are left as they are). */
  endLines(fd: Fd, prefixed: boolean): void {
    const state = this.#state[fd];
    if (prefixed && !state.atLineStart) {
      state.atLineStart = true;
      this.#write(fd, NEWLINE);
    }
  }

  /** Resolves once everything written so far has been taken by the streams. */
  flush(): Promise<void> {
    return this.#pending;
  }

  #write(fd: Fd, bytes: Uint8Array): void {
    const stream = fd === "stdout" ? stdout : stderr;
    stream.write(bytes);
    this.#pending = Promise.all([this.#pending, stream.flushed()]).then(() => undefined);
  }
}

function _styled(bytes: Uint8Array, style?: readonly [string, string]): Uint8Array[] {
  if (!style) return [bytes];
  // The colour ends before a line's newline: a prefix on the next line is not coloured.
  const newline = bytes[bytes.length - 1] === 10;
  const body = newline ? bytes.subarray(0, bytes.length - 1) : bytes;
  return [
    encoder.encode(style[0]),
    body,
    encoder.encode(style[1]),
    ...(newline ? [NEWLINE] : []),
  ];
}

function _concat(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}
