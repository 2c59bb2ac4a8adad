/**
 * `bgt send`: writes to a running `--stdin` task's standard input (the seed's stream write).
 * Text gets a trailing newline unless `--no-newline`; `-` copies this command's stdin until it
 * ends; `--eof` then ends the task's input. Straight to the task's FIFO: no supervisor needed.
 *
 * @example
 * ```sh
 * id=$(bgt run --stdin -- python3 -i </dev/null)
 * bgt send $id 'print(6 * 7)'
 * bgt send $id --eof
 * ```
 */
import { Command } from "@commander-js/extra-typings";
import { UsageError } from "../cli_error.ts";
import { parseTaskId } from "../task_ids.ts";
import { withClient } from "../with_client.ts";

/** The `send` command. */
export function sendCommand() {
  return new Command("send")
    .description("write to a running task's standard input (a task started with --stdin)")
    .argument("<id>", "task id")
    .argument("[text...]", "the text (words are joined by spaces), or - to copy this stdin")
    .option("--no-newline", "do not add a newline after the text")
    .option("--eof", "then close the task's standard input (it reads end-of-file)")
    .action(async (idWord, words, options) => {
      const id = await parseTaskId(idWord);
      if (!words.length && !options.eof) {
        throw new UsageError("Cannot send: give the text, - to copy stdin, or --eof");
      }
      const fromStdin = words.length === 1 && words[0] === "-";
      const text = words.join(" ") + (options.newline && words.length ? "\n" : "");
      await withClient(async (client) => {
        await client.send(
          id,
          fromStdin ? process.stdin as AsyncIterable<Uint8Array> : new TextEncoder().encode(text),
          { eof: options.eof },
        );
      }, { read: true });
    });
}
