/**
 * Frees the disk blocks of a byte range of a file without changing its size or the offsets of
 * the bytes after it: `fallocate --punch-hole` (util-linux; ext4, xfs, btrfs and tmpfs support
 * it). The range then reads as zeros. A process appending to the file (`O_APPEND`) is not
 * disturbed, which is what lets `--retain` bound a stream's disk use while the command keeps
 * writing straight to its file.
 *
 * @example
 * ```ts
 * await punchHole("/tmp/big.log", { offset: 0, length: 1 << 20 }); // the first MiB is freed
 * ```
 */
import { spawn } from "node:child_process";

/** The byte range to free; both are rounded to whole blocks by the file system. */
export interface HoleRange {
  offset: number;
  length: number;
}

/**
 * Punches a hole in `path`. Rejects with a one-line reason when `fallocate` is missing or the
 * file system refuses (an unsupported file system, a permission problem).
 */
export function punchHole(path: string, range: HoleRange): Promise<void> {
  if (range.length <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    let stderr = "";
    const child = spawn("fallocate", [
      "--punch-hole",
      "--offset",
      String(range.offset),
      "--length",
      String(range.length),
      path,
    ], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.on("data", (chunk: Uint8Array) => (stderr += new TextDecoder().decode(chunk)));
    child.once("error", (error: NodeJS.ErrnoException) => {
      reject(
        new Error(
          error.code === "ENOENT"
            ? "fallocate (util-linux) is not installed"
            : `fallocate: ${error.message}`,
        ),
      );
    });
    child.once("close", (code) => {
      if (code === 0) resolve();
      else reject(new Error(stderr.trim().split("\n")[0] || `fallocate exited with ${code}`));
    });
  });
}
