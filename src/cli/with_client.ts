/**
 * Opens a client for one command and closes it afterwards, whatever happens. A command that
 * reads tasks asks for `read`: a supervisor is started first when none runs, so that what it
 * prints is current (README: any command starts one).
 *
 * @example
 * ```ts
 * await withClient(async (client) => console.log(client.get(1).status), { read: true });
 * ```
 */
import { type Client, connect } from "../client/client.ts";
import { isBgtError } from "../task/error_codes.ts";
import { loadConfig } from "../config/config_file.ts";
import { stderr } from "../runtime/std_output.ts";

/** Options for {@linkcode withClient}. */
export interface WithClientOptions {
  /** Start the supervisor first when none runs (see {@linkcode superviseForRead}). @default false */
  read?: boolean;
}

/** Runs `fn` with a client on the current home, closing it afterwards. */
export async function withClient<T>(
  fn: (client: Client) => T | Promise<T>,
  options: WithClientOptions = {},
): Promise<T> {
  // A broken config file is one line naming it, its line and the problem (exit 2), whatever
  // the command needs of it.
  loadConfig(process.env);
  const client = await connect();
  try {
    if (options.read) await superviseForRead(client);
    return await fn(client);
  } finally {
    await client.close();
  }
}

/**
 * Starts the supervisor when none runs and waits for its recovery, so that a task that ended
 * while none ran shows how it ended. When none can be started, says so in one line on stderr
 * (what is shown may be out of date, and what to type) and goes on with the table as stored.
 *
 * @example
 * ```ts
 * const client = await connect();
 * await superviseForRead(client);
 * ```
 */
export async function superviseForRead(client: Client): Promise<void> {
  try {
    await client.superviseBeforeRead();
  } catch (error) {
    if (!isBgtError(error, "SUPERVISOR_UNAVAILABLE")) throw error;
    stderr.write(
      `bgt: no supervisor runs, so running tasks may be shown as they were (${
        (error as Error).message
      }); start one with 'bgt daemon start'\n`,
    );
  }
}
