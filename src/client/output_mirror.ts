/**
 * A local copy of the output a task wrote on another host, read back from the shared store's
 * output table (DESIGN §11): files laid out as the task's own (see `copyShippedOutput`), so that
 * every reader of task files — a tail, a range, an attempt's slice, following — works on it
 * unchanged. {@linkcode OutputMirror.sync} fetches what was shipped since the last sync.
 *
 * The copies live in a temporary directory of this process (removed by {@linkcode removeMirrors},
 * and when the process exits).
 *
 * @example
 * ```ts
 * const mirror = new OutputMirror(store.output!, 42);
 * await mirror.sync();
 * readTail(mirror.files, "stdout", { lines: 10 });
 * ```
 */
import { mkdtempSync, rmSync } from "node:fs";
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

  constructor(output: OutputStore, id: number) {
    if (!root) {
      root = mkdtempSync(join(tmpdir(), "bgt-output-"));
      // Also when the command ends without closing its client (Ctrl-C during logs -f).
      process.once("exit", removeMirrors);
    }
    this.#output = output;
    this.#id = id;
    this.files = taskFiles(root, id);
  }

  /** Copies the chunks shipped since the last sync. */
  async sync(): Promise<void> {
    await copyShippedOutput(this.#output, this.#id, this.files);
  }
}

/** Deletes this process's copies. */
export function removeMirrors(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}
