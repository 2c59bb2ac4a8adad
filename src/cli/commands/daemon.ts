/**
 * `bgt daemon start|stop|status|restart`: the background supervisor (started on demand anyway).
 *
 * @example
 * ```sh
 * bgt daemon status --json   # {"pid": 123, "startedAt": "…", "running": 1, "queued": 0, …}
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { duration, toJson } from "../format.ts";
import { withClient } from "../with_client.ts";

/** The `daemon` command and its subcommands. */
export function daemonCommand() {
  const daemon = new Command("daemon").description("start, stop or inspect the supervisor");
  daemon.command("start").description("start the supervisor if it is not running").action(() =>
    withClient(async (client) => {
      await client.start();
      const status = await client.status();
      process.stdout.write(`supervisor running, pid ${status?.pid}\n`);
    })
  );
  daemon.command("stop").description("drain and stop the supervisor (running commands go on)")
    .action(() =>
      withClient(async (client) => {
        const stopped = await client.stop();
        process.stdout.write(stopped ? "supervisor stopped\n" : "supervisor was not running\n");
      })
    );
  daemon.command("restart").description("stop, then start the supervisor").action(() =>
    withClient(async (client) => {
      await client.stop();
      await client.start();
      const status = await client.status();
      process.stdout.write(`supervisor running, pid ${status?.pid}\n`);
    })
  );
  daemon.command("status").description("is the supervisor running, and what is it doing")
    .option("--json", "print JSON")
    .action((options) =>
      withClient(async (client) => {
        const status = await client.status();
        if (options.json) {
          process.stdout.write(
            `${
              toJson(
                status
                  ? { ...status, startedAt: new Date(status.startedAt).toISOString(), up: true }
                  : { up: false, pid: null, home: client.home.dir },
              )
            }\n`,
          );
        } else if (!status) {
          process.stdout.write(`supervisor not running (home ${client.home.dir})\n`);
        } else {
          process.stdout.write(
            `supervisor running, pid ${status.pid}, up ${
              duration(Date.now() - status.startedAt)
            }, ` +
              `${status.running} running, ${status.queued} queued, parallel ${status.parallel}, home ${status.home}\n`,
          );
        }
        if (!status) process.exitCode = 3;
      })
    );
  return daemon;
}
