/**
 * A local copy of the output a task wrote on another host, read back from the shared store's
 * output table (DESIGN §11): files laid out as the task's own (see `copyShippedOutput`), so that
 * every reader of task files — a tail, a range, an attempt's slice, following — works on it
 * unchanged. {@linkcode OutputMirror.sync} fetches what was shipped since the last sync.
 *
 * The copies live in a temporary directory of this process (removed by {@linkcode removeMirrors},
 * and when the process exits). A long-lived reader (`bgt ui`) keeps them in
 * {@linkcode OutputMirrors}: at most 64, the least recently used deleted first.
 *
 * @example
 * ```ts
 * const mirror = new OutputMirror(store.output!, 42);
 * await mirror.sync();
 * readTail(mirror.files, "stdout", { lines: 10 });
 * ```
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { OutputStore } from "../store/shared_io.ts";
import { copyShippedOutput } from "../store/shipped_copy.ts";
import { type TaskFiles, taskFiles } from "../store/task_files.ts";

let root: string | undefined;

/** The shipped output of one task, copied here. */
export class OutputMirror {
  readonly files: TaskFiles;
  #output: OutputStore;
  #id: number;

  /** `dir`: where the copies of one client live (by default this process's own folder). */
  constructor(output: OutputStore, id: number, dir = _root()) {
    this.#output = output;
    this.#id = id;
    this.files = taskFiles(dir, id);
  }

  /** Copies the chunks shipped since the last sync. */
  async sync(): Promise<void> {
    await copyShippedOutput(this.#output, this.#id, this.files);
  }

  /** Deletes the copy (a later sync() copies it anew). */
  remove(): void {
    rmSync(this.files.dir, { recursive: true, force: true });
  }
}

/** How many copies {@linkcode OutputMirrors} keeps. */
export const MIRRORS_KEPT = 64;

/**
 * The copies of one client, bounded: past `kept`, the least recently used one is deleted.
 *
 * @example
 * ```ts
 * const mirrors = new OutputMirrors(store.output!);
 * await mirrors.take(42).sync(); // made on first use
 * mirrors.drop(42); // the task was removed
 * ```
 */
export class OutputMirrors {
  #output: OutputStore;
  #kept: number;
  #mirrors = new Map<number, OutputMirror>();
  #dir: string | undefined;

  constructor(output: OutputStore, kept = MIRRORS_KEPT) {
    this.#output = output;
    this.#kept = kept;
  }

  /** How many copies there are. */
  get size(): number {
    return this.#mirrors.size;
  }

  /** The copy of task `id` if there is one (now the most recently used). */
  get(id: number): OutputMirror | undefined {
    const mirror = this.#mirrors.get(id);
    if (mirror) {
      this.#mirrors.delete(id);
      this.#mirrors.set(id, mirror);
    }
    return mirror;
  }

  /** The copy of task `id`, made (empty) when there is none; the oldest goes past the bound. */
  take(id: number): OutputMirror {
    let mirror = this.get(id);
    if (!mirror) {
      // A folder of this client's own: two clients of one process (two stores) may both have
      // a task 1. Made anew if removeMirrors() deleted the process's folder meanwhile.
      if (!this.#dir || !existsSync(this.#dir)) this.#dir = mkdtempSync(join(_root(), "client-"));
      mirror = new OutputMirror(this.#output, id, this.#dir);
      this.#mirrors.set(id, mirror);
      for (const [oldest, old] of this.#mirrors) {
        if (this.#mirrors.size <= this.#kept) break;
        old.remove();
        this.#mirrors.delete(oldest);
      }
    }
    return mirror;
  }

  /** Deletes the copy of task `id` (it was removed), if any. */
  drop(id: number): void {
    this.#mirrors.get(id)?.remove();
    this.#mirrors.delete(id);
  }
}

/** This process's folder of copies, made on first use. */
function _root(): string {
  if (!root) {
    root = mkdtempSync(join(tmpdir(), "bgt-output-"));
    // Also when the command ends without closing its client (Ctrl-C during logs -f).
    process.once("exit", removeMirrors);
  }
  return root;
}

/** Deletes this process's copies. */
export function removeMirrors(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}
