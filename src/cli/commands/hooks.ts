/**
 * `bgt hooks`: what hooks use. `bgt hooks secret` prints the key webhooks are signed with (the
 * config's `webhook_secret`, else the home's own, made now if missing, mode 0600).
 *
 * @example
 * ```sh
 * bgt hooks secret
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { webhookSecret } from "../../hooks/webhook_secret.ts";
import { bgtHome, ensureHome } from "../../store/home.ts";

/** The `hooks` command. */
export function hooksCommand() {
  const hooks = new Command("hooks").description("hooks and webhooks (see README Hooks)");
  hooks.command("secret")
    .description("print the key webhooks are signed with (HMAC-SHA256)")
    .action(() => {
      const home = bgtHome(process.env);
      ensureHome(home);
      process.stdout.write(`${webhookSecret(home.dir)}\n`);
    });
  return hooks;
}
