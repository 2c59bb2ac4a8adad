/**
 * A TCP proxy in front of the test PostgreSQL that a test can cut (every connection closed, the
 * port closed) and restore on the same port: PostgreSQL going away, as a client sees it.
 *
 * @example
 * ```ts
 * const proxy = new TcpProxy();
 * await proxy.up();
 * const viaProxy = proxy.url(store); // the same store, through the proxy
 * await proxy.down(); // cut
 * await proxy.up(); // back
 * ```
 */
import { createConnection, createServer, type Server, type Socket } from "node:net";
import { TEST_POSTGRES_URL } from "./bgt_home.ts";

/** A cuttable TCP proxy to one server. */
export class TcpProxy {
  private server: Server | undefined;
  private sockets = new Set<Socket>();
  /** The proxy's own connections to the server (their local ports name their backends). */
  readonly upstreams = new Set<Socket>();
  /** The port it listens on (127.0.0.1), fixed by the first `up()`. */
  port = 0;

  /** @param target the URL of the server it forwards to (its host and port; default 5432) */
  constructor(readonly target: string = TEST_POSTGRES_URL) {}

  /** Listens (again) and forwards every connection; either side ending ends both. */
  async up(): Promise<void> {
    const target = new URL(this.target);
    const server = createServer((client) => {
      const upstream = createConnection(Number(target.port || 5432), target.hostname);
      this.upstreams.add(upstream);
      upstream.on("close", () => this.upstreams.delete(upstream));
      for (const socket of [client, upstream]) {
        this.sockets.add(socket);
        socket.on("close", () => this.sockets.delete(socket));
        socket.on("error", () => {});
      }
      client.pipe(upstream).pipe(client);
      // Either side ending ends both (as a cut or a terminated backend does to the client).
      for (const [from, to] of [[client, upstream], [upstream, client]]) {
        from.on("close", () => to.destroy());
        from.on("end", () => to.destroy());
        from.on("error", () => to.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
  }

  /** Cuts every connection and stops listening (no error when it is down already). */
  async down(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const socket of this.sockets) socket.destroy();
    if (server) await new Promise((resolve) => server.close(resolve));
  }

  /** A store URL (of the target) that goes through this proxy instead; after `up()`. */
  url(store: string): string {
    const url = new URL(store);
    url.hostname = "127.0.0.1";
    url.port = String(this.port);
    return url.toString();
  }

  /** The local ports of the proxy's connections to the server now. */
  upstreamPorts(): number[] {
    return [...this.upstreams].map((socket) => socket.localPort ?? 0).filter((port) => port > 0);
  }
}
