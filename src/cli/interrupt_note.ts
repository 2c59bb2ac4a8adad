/**
 * What Ctrl-C means while bgt shows a task (`run --wait`, `logs -f`): only the watching stops.
 * On SIGINT the note says on stderr that the task goes on and how to stop it, and bgt exits 130
 * (128 + SIGINT, as a shell reports it).
 *
 * @example
 * ```ts
 * const forget = noteInterrupt([7]); // Ctrl-C: "bgt: task 7 keeps running; stop it with: bgt kill 7"
 * await followStreams(client, 7, ["stdout"], print);
 * forget();
 * ```
 */
import { stderr } from "../runtime/std_output.ts";

/** The exit code after Ctrl-C. */
export const INTERRUPTED_EXIT_CODE = 130;

/**
 * Until the returned function is called, SIGINT prints {@linkcode interruptNote} for these tasks
 * and exits with {@linkcode INTERRUPTED_EXIT_CODE}.
 */
export function noteInterrupt(ids: readonly number[]): () => void {
  const onInterrupt = () => {
    stderr.write(`bgt: ${interruptNote(ids)}\n`);
    process.exit(INTERRUPTED_EXIT_CODE);
  };
  process.on("SIGINT", onInterrupt);
  return () => process.off("SIGINT", onInterrupt);
}

/**
 * The note for these tasks (none: every task followed).
 *
 * @example
 * ```ts
 * interruptNote([7]); // "task 7 keeps running; stop it with: bgt kill 7"
 * ```
 */
export function interruptNote(ids: readonly number[]): string {
  if (ids.length === 0) return "the tasks keep running; stop one with: bgt kill <id>";
  if (ids.length === 1) return `task ${ids[0]} keeps running; stop it with: bgt kill ${ids[0]}`;
  return `tasks ${ids.join(", ")} keep running; stop them with: bgt kill ${ids.join(" ")}`;
}
