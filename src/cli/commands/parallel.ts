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
 * bgt parallel --reset   # forgets it: the config file's `parallel`, BGT_PARALLEL or the cores
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { nextParallel } from "../../supervisor/settings.ts";
import { UsageError } from "../cli_error.ts";
import { parseInteger } from "../parse_options.ts";
import { withClient } from "../with_client.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `parallel` command. */
export function parallelCommand() {
  return new Command("parallel")
    .description("show or set how many tasks run at once (kept across restarts)")
    .argument("[n]", "the new limit (an integer of at least 1)")
    .option("--reset", "forget the value kept in the store (the config file or the default rules)")
    .option("--json", "print JSON")
    .action((text, options) =>
      withClient(async (client) => {
        if (options.reset) {
          if (text !== undefined) throw new UsageError("Cannot use --reset with a new limit N");
          await client.resetParallel();
          const status = await client.status();
          const next = nextParallel(process.env, await client.storedSettings());
          if (options.json) {
            stdout.write(
              `${
                JSON.stringify({
                  parallel: next.value,
                  source: next.source,
                  running: status?.parallel ?? null,
                })
              }\n`,
            );
          } else {
            stdout.write(
              `parallel ${next.value} (from ${next.source}) for the next supervisor; the stored value is forgotten${
                status
                  ? `; the running one keeps ${status.parallel} until 'bgt daemon restart' (or 'systemctl --user restart bgt')`
                  : ""
              }\n`,
            );
          }
          return;
        }
        if (text !== undefined) {
          const parallel = parseInteger("parallel", text, { min: 1 });
          const { applied, notApplied } = await client.setParallel(parallel);
          if (options.json) {
            stdout.write(`${JSON.stringify({ parallel, source: "store", applied })}\n`);
          } else {
            const how = applied
              ? "applied now"
              : notApplied === "older supervisor"
              ? "the running supervisor is of an older bgt: 'bgt daemon restart' (or 'systemctl --user restart bgt') applies it"
              : "no supervisor runs: the next one starts with it";
            stdout.write(`parallel ${parallel} (${how}; kept in the store)\n`);
          }
          return;
        }
        const status = await client.status();
        // With none running: what the next one (started by a command or by systemd) takes.
        const next = status ? undefined : nextParallel(process.env, await client.storedSettings());
        const current = status
          ? { parallel: status.parallel, source: status.sources?.parallel ?? "default" }
          : { parallel: next!.value, source: next!.source };
        if (options.json) {
          stdout.write(
            `${JSON.stringify({ ...current, running: status !== undefined })}\n`,
          );
        } else {
          stdout.write(
            `parallel ${current.parallel} (from ${current.source}${
              status ? "" : "; no supervisor runs: the next one starts with it"
            })\n`,
          );
        }
      })
    );
}
