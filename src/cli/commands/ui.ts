/**
 * `bgt ui`: serves the dashboard over this home's store until interrupted, and prints the URL
 * that signs a browser in (one time) on stdout.
 *
 * @example
 * ```sh
 * bgt ui                          # http://127.0.0.1:40123/?token=…
 * bgt ui --listen 127.0.0.1:8080 --read-only --open   # default: [ui] listen of the config file
 * BGT_UI_TOKEN=$(cat ~/.bgt-ui-secret) bgt ui --listen 0.0.0.0:8080 --host-name bgt.example
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { spawn } from "node:child_process";
import { connect } from "../../client/client.ts";
import { loadConfig } from "../../config/config_file.ts";
import { openStore, storeConfig } from "../../store/open_store.ts";
import { parseListen } from "../../ui/listen_address.ts";
import { startUiServer, UiConfigError } from "../../ui/server.ts";
import { UsageError } from "../cli_error.ts";
import { stderr, stdout } from "../../runtime/std_output.ts";

/** The `ui` command. */
export function uiCommand() {
  return new Command("ui")
    .description("serve a live dashboard in the browser (prints its sign-in URL)")
    .option(
      "--listen <host:port>",
      "where to listen (port 0: any free port; default: [ui] listen of the config, else 127.0.0.1:0)",
    )
    .option("--read-only", "show no actions; every POST answers 403")
    .option("--open", "open the sign-in URL in the default browser")
    .option(
      "--host-name <names>",
      "more names browsers may reach it by (comma-separated; the Host check refuses others)",
    )
    .option(
      "--token <secret>",
      "a fixed token instead of a one-time one; needed off 127.0.0.1 (prefer BGT_UI_TOKEN: ps shows the command line)",
    )
    .action(async (options) => {
      const listenText = options.listen ?? loadConfig(process.env).ui?.listen ?? "127.0.0.1:0";
      let listen;
      try {
        listen = parseListen(listenText);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
      const hostNames = (options.hostName ?? "").split(",").map((name: string) => name.trim())
        .filter(Boolean);
      const client = await connect();
      const store = await openStore(storeConfig(process.env, client.home), { role: "client" });
      let server;
      try {
        server = await startUiServer({
          client,
          store,
          listen,
          token: options.token ?? (process.env.BGT_UI_TOKEN || undefined),
          readOnly: options.readOnly ?? false,
          hostNames,
        });
      } catch (error) {
        await store.close();
        await client.close();
        if (error instanceof UiConfigError) throw new UsageError(error.message);
        const code = (error as { code?: string }).code;
        if (code === "EADDRINUSE" || code === "EACCES" || code === "EADDRNOTAVAIL") {
          throw new Error(`Cannot listen on ${listenText}: ${code}`);
        }
        throw error;
      }
      stdout.write(`${server.signInUrl}\n`);
      if (options.token !== undefined) {
        stderr.write(
          "bgt ui: warning: --token shows in ps to every user of this machine; set BGT_UI_TOKEN instead\n",
        );
      }
      stderr.write(
        `bgt ui: serving ${client.storeDescription}${
          options.readOnly ? " read-only" : ""
        }; Ctrl-C stops it\n`,
      );
      if (options.open) _openBrowser(server.signInUrl);
      await new Promise<void>((resolve) => {
        for (const signal of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
          process.once(signal, resolve);
        }
      });
      await server.close();
      await store.close();
      await client.close();
      process.exit(0);
    });
}

function _openBrowser(url: string): void {
  const opener = process.platform === "darwin" ? "open" : "xdg-open";
  try {
    const child = spawn(opener, [url], { stdio: "ignore", detached: true });
    child.on(
      "error",
      () => stderr.write(`bgt ui: could not run ${opener}; open the URL above\n`),
    );
    child.unref();
  } catch {
    stderr.write(`bgt ui: could not run ${opener}; open the URL above\n`);
  }
}
