/**
 * Wake-ups from PostgreSQL: LISTEN on a channel (postgres.js keeps one connection for it and
 * reconnects), filtered to this store's schema, plus a poll that is the guarantee: every 1 s
 * while the listener is down, every 5 s while it is healthy. Health is a self-NOTIFY on a ping
 * channel each 5 s that must come back before the next one (a half-open socket fails it).
 *
 * @example
 * ```ts
 * const stop = await listenWithPolling(connection, "bgt_wake", () => dispatcher.wake());
 * await stop();
 * ```
 */
import type { PostgresConnection } from "./postgres_connection.ts";

/** The poll period while the listener is down, and while it is healthy. */
export const POLL_MS = { down: 1_000, healthy: 5_000 } as const;

const PING_CHANNEL = "bgt_ping";

/**
 * Calls `onWake` on each NOTIFY of `channel` for this schema (whose payload after `schema:` is
 * `only`, when given), and on each poll; returns stop.
 */
export async function listenWithPolling(
  connection: PostgresConnection,
  channel: string,
  onWake: () => void,
  only?: string,
): Promise<() => Promise<void>> {
  const { sql, schema } = connection;
  const token = `${schema}:${Math.random().toString(36).slice(2)}`;
  let healthy = false;
  let pingOut = false;
  let stopped = false;
  let sinceWake = 0;
  const wake = () => {
    sinceWake = 0;
    if (!stopped) onWake();
  };
  const subscriptions: { unlisten(): Promise<void> }[] = [];
  const subscribe = async () => {
    try {
      subscriptions.push(
        await sql.listen(channel, (payload) => {
          const [to, ...rest] = payload.split(":");
          if (to === schema && (only === undefined || rest.join(":") === only)) wake();
        }, () => {
          healthy = true;
          wake(); // (re)connected: whatever was sent while down is read now
        }),
        await sql.listen(PING_CHANNEL, (payload) => {
          if (payload === token) [healthy, pingOut] = [true, false];
        }),
      );
    } catch {
      healthy = false;
    }
  };
  // BGT_PG_LISTEN=0: no LISTEN at all (a transaction pooler such as PgBouncer's transaction mode
  // drops it): polling alone, every second, wakes the supervisor.
  const listening = process.env.BGT_PG_LISTEN !== "0";
  if (listening) await subscribe();
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    sinceWake += POLL_MS.down;
    if (!healthy || sinceWake >= POLL_MS.healthy) wake();
    if (listening && tick % (POLL_MS.healthy / POLL_MS.down) === 0) {
      if (pingOut) healthy = false; // the last ping never came back
      pingOut = true;
      sql.notify(PING_CHANNEL, token).catch(() => healthy = false);
      if (!subscriptions.length) void subscribe();
    }
  }, POLL_MS.down);
  return async () => {
    stopped = true;
    clearInterval(timer);
    await Promise.all(subscriptions.map((subscription) => subscription.unlisten().catch(() => {})));
  };
}
