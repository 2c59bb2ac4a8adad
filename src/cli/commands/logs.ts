/**
 * `bgt logs`: a task's stdout (or --stderr, --data), whole, its last lines, or followed until
 * the task ends. Bytes pass through unchanged.
 *
 * @example
 * ```sh
 * bgt logs 42 --tail 20
 * bgt logs 42 -f
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { connect } from "../../client/client.ts";
import { followStreams } from "../../client/follow_streams.ts";
import { readRange, readTail, type StreamName, streamSize } from "../../store/task_files.ts";
import { UsageError } from "../cli_error.ts";
import { parseIds, parseInteger } from "../parse_options.ts";

/** The `logs` command. */
export function logsCommand() {
  return new Command("logs")
    .description("print a task's output")
    .argument("<id>", "task id")
    .option("--stderr", "the error stream instead of stdout")
    .option("--data", "the data records (JSON lines) instead of stdout")
    .option("-f, --follow", "keep printing as the task writes, until it ends")
    .option("-t, --tail <n>", "only the last n lines")
    .action(async (idWord, options) => {
      const [id] = parseIds([idWord]);
      if (options.stderr && options.data) {
        throw new UsageError("Cannot show logs: choose --stderr or --data, not both");
      }
      const stream: StreamName = options.stderr ? "stderr" : options.data ? "data" : "stdout";
      const client = await connect();
      try {
        const path = client.streamPath(id, stream);
        const out = process.stdout;
        let from = 0;
        if (options.tail !== undefined) {
          from = streamSize(path);
          out.write(readTail(path, parseInteger("--tail", options.tail, { min: 0 }), from));
        } else if (!options.follow) {
          out.write(readRange(path, 0));
          return;
        }
        if (options.follow) {
          await followStreams(client, id, [stream], (_stream, bytes) => out.write(bytes), {
            from: { [stream]: from },
          });
        }
      } finally {
        client.close();
      }
    });
}
