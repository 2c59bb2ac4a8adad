/**
 * Opens a client for one command and closes it afterwards, whatever happens.
 *
 * @example
 * ```ts
 * await withClient(async (client) => console.log(client.get(1).status));
 * ```
 */
import { type Client, connect } from "../client/client.ts";

/** Runs `fn` with a client on the current home, closing it afterwards. */
export async function withClient<T>(fn: (client: Client) => T | Promise<T>): Promise<T> {
  const client = await connect();
  try {
    return await fn(client);
  } finally {
    client.close();
  }
}
