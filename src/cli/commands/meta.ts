/**
 * `bgt meta`: shows a task's metadata, or merges `k=v` pairs into it (seed 002's `applyMeta`);
 * `k=` deletes the key.
 *
 * @example
 * ```sh
 * bgt meta 42 note="paused by me" owner=
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../cli_error.ts";
import { toJson } from "../format.ts";
import { parseTaskId } from "../task_ids.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `meta` command. */
export function metaCommand() {
  return new Command("meta")
    .description("show a task's metadata, or merge k=v pairs into it (k= deletes k)")
    .argument("<id>", "task id")
    .argument("[pairs...]", "k=v to set, k= to delete")
    .option("--json-values", "read each value as JSON when it parses (numbers, objects …)")
    .action(async (idWord, pairs, options) => {
      const id = await parseTaskId(idWord);
      const patch = parseMetaPatch(pairs, Boolean(options.jsonValues));
      await withClient(async (client) => {
        const task = pairs.length ? await client.mergeMeta(id, patch) : await client.get(id);
        stdout.write(`${toJson(task.meta, 2)}\n`);
      });
    });
}

/** `k=v` pairs into a merge patch: `k=` is null (delete); with `json`, values parse as JSON. */
export function parseMetaPatch(pairs: readonly string[], json: boolean): Record<string, unknown> {
  const patch: Record<string, unknown> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) {
      throw new UsageError(`Cannot parse meta '${pair}': expected k=v (or k= to delete)`);
    }
    const value = pair.slice(eq + 1);
    patch[pair.slice(0, eq)] = value === "" ? null : json ? _json(value) : value;
  }
  return patch;
}

function _json(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
