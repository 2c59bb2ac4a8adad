/**
 * Which tasks a control command acts on: the ids given (`last` included), or a bulk selector as
 * pueue has them: `-g GROUP` (the group's tasks) or `--all` (every task), each narrowed to the
 * states the command can act on. And how it reports: one line on stderr per task it could not
 * act on (or found already in the asked state), exit code 0 only when every task ended in the
 * asked state.
 *
 * @example
 * ```ts
 * const ids = await selectTasks(client, words, { group: "io" }, {
 *   verb: "kill",
 *   statuses: ["running", "paused"],
 * });
 * process.exitCode = reportEach(await client.killEach(ids), (id, s) => `task ${id} is ${s}`);
 * ```
 */
import type { Client, ControlResult } from "../client/client.ts";
import { ALL_STATUSES, isTerminal, type TaskStatus } from "../task/types.ts";
import { UsageError } from "./cli_error.ts";
import { checkTaskIdWords, parseTaskIds } from "./task_ids.ts";
import { stderr } from "../runtime/std_output.ts";

/** The states of a task that has not finished: waiting, running or paused. */
export const UNFINISHED_STATUSES: readonly TaskStatus[] = ALL_STATUSES.filter(
  (status) => !isTerminal(status),
);

/** The bulk selectors a command offers. */
export interface Selector {
  /** `-g GROUP`: the group's tasks. */
  group?: string;
  /** `--all`: every task. */
  all?: boolean;
}

/** What a command selects with, for its messages and its selectors. */
export interface SelectionRule {
  /** The command's verb, for messages ("kill"). */
  verb: string;
  /** The states a selector picks (the ids given are taken as they are). */
  statuses: readonly TaskStatus[];
  /** Without ids or selector: every task in `statuses` (wait) instead of a usage error. */
  noneMeansAll?: boolean;
  /** The selectors, as help names them. @default "-g GROUP or --all" */
  selectors?: string;
}

/**
 * Checks that ids and selectors are not mixed (a UsageError), before any work; true when a
 * selector (or, with `noneMeansAll`, nothing) is what names the tasks.
 */
export function checkSelection(
  words: readonly string[],
  selector: Selector,
  rule: SelectionRule,
): boolean {
  checkTaskIdWords(words);
  const selectors = rule.selectors ?? "-g GROUP or --all";
  const bulk = selector.group !== undefined || selector.all === true;
  if (words.length && bulk) {
    throw new UsageError(`Cannot ${rule.verb}: give task ids or ${selectors}, not both`);
  }
  if (selector.group !== undefined && selector.all) {
    throw new UsageError(`Cannot ${rule.verb}: give -g GROUP or --all, not both`);
  }
  if (!words.length && !bulk && !rule.noneMeansAll) {
    throw new UsageError(
      `Cannot ${rule.verb}: name the tasks (ids, 'last', ${selectors}; see 'bgt ${rule.verb} --help')`,
    );
  }
  return bulk || !words.length;
}

/** The ids the words name, or the tasks the selector picks (oldest first). */
export async function selectTasks(
  client: Client,
  words: readonly string[],
  selector: Selector,
  rule: SelectionRule,
): Promise<number[]> {
  if (!checkSelection(words, selector, rule)) return await parseTaskIds(words, { client });
  return (await client.list({
    status: [...rule.statuses],
    group: selector.group,
    limit: Number.MAX_SAFE_INTEGER,
    newestFirst: false,
  })).map((task) => task.id);
}

/** Describes a selector for a message: "in group io", "at all". */
export function describeSelector(selector: Selector): string {
  return selector.group !== undefined ? `in group ${selector.group}` : "at all";
}

/**
 * Prints one line on stderr for each task not acted on (its error) and each found in the asked
 * state already (`already` says it); returns the exit code: 0 when every task ended in the
 * asked state, 1 otherwise.
 */
export function reportEach(
  results: readonly ControlResult[],
  already: (id: number, status: TaskStatus) => string,
): number {
  let code = 0;
  for (const result of results) {
    if (!result.ok) {
      stderr.write(`bgt: ${result.error.message.split("\n")[0]}\n`);
      code = 1;
    } else if (result.already) {
      stderr.write(`bgt: ${already(result.id, result.already)}\n`);
    }
  }
  return code;
}
