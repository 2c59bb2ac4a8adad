/**
 * `bgt hooks`: the global hooks of the config file (`[[hooks]]`), checked, one line each;
 * `bgt hooks secret` prints the key webhooks are signed with (the config's `webhook_secret`,
 * else the home's own, made now if missing, mode 0600).
 *
 * @example
 * ```sh
 * bgt hooks            # page-me  on failed, timed_out  final only, longer than 10m  run ~/bin/page-me
 * bgt hooks secret
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import type { GlobalHook } from "../../hooks/global_hooks.ts";
import { hookConfig } from "../../hooks/hook_config.ts";
import { webhookSecret } from "../../hooks/webhook_secret.ts";
import { formatDuration } from "../../task/duration.ts";
import { bgtHome, ensureHome } from "../../store/home.ts";
import { printable, toJson } from "../format.ts";
import { stdout } from "../../runtime/std_output.ts";

/** The `hooks` command. */
export function hooksCommand() {
  const hooks = new Command("hooks")
    .description("list the global hooks of the config file (see README Hooks)")
    .option("--json", "print JSON")
    .action((options) => {
      const { globalHooks } = hookConfig(process.env);
      if (options.json) {
        stdout.write(`${toJson(globalHooks, 2)}\n`);
        return;
      }
      if (!globalHooks.length) {
        stdout.write("no global hooks ([[hooks]] in the config file)\n");
        return;
      }
      for (const hook of globalHooks) stdout.write(`${printable(describeHook(hook))}\n`);
    });
  hooks.command("secret")
    .description("print the key webhooks are signed with (HMAC-SHA256)")
    .action(() => {
      const home = bgtHome(process.env);
      ensureHome(home);
      const configured = hookConfig(process.env).webhookSecret;
      stdout.write(`${webhookSecret(home.dir, configured)}\n`);
    });
  return hooks;
}

/** One global hook in words. */
export function describeHook(hook: GlobalHook): string {
  const conditions = [
    hook.finalOnly ? "final only" : "",
    hook.longerThanMs !== null ? `longer than ${formatDuration(hook.longerThanMs)}` : "",
    hook.group !== null ? `group ${hook.group}` : "",
  ].filter(Boolean);
  const action = "run" in hook.action
    ? `run ${hook.action.run}`
    : "webhook" in hook.action
    ? `webhook ${hook.action.webhook}`
    : "notify";
  return [hook.name, `on ${hook.on.join(", ")}`, ...conditions, action].join("  ");
}
