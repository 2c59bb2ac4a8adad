/**
 * `bgt parallel [N]`: the global limit of tasks running at once. With N, sets it now (the running
 * supervisor starts more tasks at once, or starts no more until fewer run) and keeps it in the
 * store, so that it outlives `bgt daemon restart`, a crash or a reboot (as pueue's `parallel`);
 * it wins over the config file's `parallel`. Without N, says the limit and where it came from.
 *
 * @example
 * ```sh
 * bgt parallel 5   # parallel 5 (applied now, kept in the store)
 * bgt parallel     # parallel 5 (from store)
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { loadConfig } from "../../config/config_file.ts";
import { parseStoredParallel, resolveSettings } from "../../supervisor/settings.ts";
import { parseInteger } from "../parse_options.ts";
import { withClient } from "../with_client.ts";

/** The `parallel` command. */
export function parallelCommand() {
  return new Command("parallel")
    .description("show or set how many tasks run at once (kept across restarts)")
    .argument("[n]", "the new limit (an integer of at least 1)")
    .option("--json", "print JSON")
    .action((text, options) =>
      withClient(async (client) => {
        if (text !== undefined) {
          const parallel = parseInteger("parallel", text, { min: 1 });
          const { applied, notApplied } = await client.setParallel(parallel);
          if (options.json) {
            process.stdout.write(`${JSON.stringify({ parallel, source: "store", applied })}\n`);
          } else {
            const how = applied
              ? "applied now"
              : notApplied === "older supervisor"
              ? "the running supervisor is of an older bgt: 'bgt daemon restart' applies it"
              : "no supervisor runs: the next one starts with it";
            process.stdout.write(`parallel ${parallel} (${how}; kept in the store)\n`);
          }
          return;
        }
        const status = await client.status();
        // With none running: what the next one (started by a command or by systemd) takes.
        const next = status ? undefined : resolveSettings({
          flags: {},
          env: { parallel: parseStoredParallel(process.env.BGT_PARALLEL) },
          config: loadConfig(process.env),
          stored: await client.storedSettings(),
        }).parallel;
        const current = status
          ? { parallel: status.parallel, source: status.sources?.parallel ?? "default" }
          : { parallel: next!.value, source: next!.source };
        if (options.json) {
          process.stdout.write(
            `${JSON.stringify({ ...current, running: status !== undefined })}\n`,
          );
        } else {
          process.stdout.write(
            `parallel ${current.parallel} (from ${current.source}${
              status ? "" : "; no supervisor runs: the next one starts with it"
            })\n`,
          );
        }
      })
    );
}
