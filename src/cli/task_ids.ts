/**
 * The one parser of task ids for every command that takes them: positive integers, or `last`
 * for the newest task (task-spooler's habit). `last` is looked up in the home's table, once.
 *
 * @example
 * ```ts
 * await parseTaskIds(["41", "last"]); // [41, 57] when 57 is the newest task
 * const id = await parseTaskId("last");
 * ```
 */
import type { Client } from "../client/client.ts";
import { UsageError } from "./cli_error.ts";

/** The word that names the newest task. */
export const LAST_TASK = "last";

/** Options for {@linkcode parseTaskIds}. */
export interface TaskIdOptions {
  /** The client to look `last` up with. @default a client opened (and closed) for the look */
  client?: Pick<Client, "list">;
}

/**
 * The ids the words name, in order. Every word is checked before any look-up: a word that is
 * neither a positive integer nor `last` is a UsageError; `last` with no task at all an Error.
 */
export async function parseTaskIds(
  words: readonly string[],
  options: TaskIdOptions = {},
): Promise<number[]> {
  const parsed = words.map(_parseWord);
  if (!parsed.includes(LAST_TASK)) return parsed as number[];
  const last = await _lastId(options.client);
  return parsed.map((id) => (id === LAST_TASK ? last : id));
}

/** The one id a word names (see parseTaskIds). */
export async function parseTaskId(word: string, options: TaskIdOptions = {}): Promise<number> {
  const [id] = await parseTaskIds([word], options);
  return id;
}

/** Checks the words' form only (no look-up), for a usage error before any work. */
export function checkTaskIdWords(words: readonly string[]): void {
  words.forEach(_parseWord);
}

function _parseWord(word: string): number | typeof LAST_TASK {
  if (word === LAST_TASK) return LAST_TASK;
  const id = Number(word);
  if (!/^\d+$/.test(word) || !Number.isSafeInteger(id) || id <= 0) {
    throw new UsageError(
      `Cannot parse task id '${word}': expected a positive integer or '${LAST_TASK}'`,
    );
  }
  return id;
}

async function _lastId(client: Pick<Client, "list"> | undefined): Promise<number> {
  let newest;
  if (client) newest = (await client.list({ limit: 1 }))[0];
  else {
    const { withClient } = await import("./with_client.ts");
    newest = await withClient(async (own) => (await own.list({ limit: 1 }))[0]);
  }
  if (!newest) throw new Error(`Cannot find task '${LAST_TASK}': there are no tasks yet`);
  return newest.id;
}
