/**
 * The `--listen` address of `bgt ui`: `HOST:PORT`, `[IPv6]:PORT`, or a bare port; and whether it
 * is local (loopback only), which decides if a generated token may do.
 *
 * @example
 * ```ts
 * parseListen("127.0.0.1:0"); // { host: "127.0.0.1", port: 0, local: true }
 * parseListen("0.0.0.0:8080"); // { host: "0.0.0.0", port: 8080, local: false }
 * ```
 */
import { hostname, networkInterfaces } from "node:os";

/** A parsed `--listen`. */
export interface ListenAddress {
  host: string;
  port: number;
  /** Loopback only: reachable from this machine alone. */
  local: boolean;
}

/**
 * Parses `--listen`; throws an Error with a one-line message for bad input.
 *
 * @example
 * ```ts
 * parseListen("[::1]:8080"); // { host: "::1", port: 8080, local: true }
 * ```
 */
export function parseListen(text: string): ListenAddress {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:\[\]]*)):(\d{1,5})$/.exec(text) ??
    /^()()(\d{1,5})$/.exec(text);
  const port = match ? Number(match[3]) : NaN;
  if (!match || port > 65535) {
    throw new Error(`--listen: expected HOST:PORT (like 127.0.0.1:8080), got '${text}'`);
  }
  const host = match[1] ?? (match[2] || "127.0.0.1");
  return { host, port, local: isLoopback(host) };
}

/**
 * Whether a host name or address is this machine's loopback.
 *
 * @example
 * ```ts
 * isLoopback("localhost"); // true
 * isLoopback("192.168.1.2"); // false
 * ```
 */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * The Host header values a browser sends for this server: the address and port it listens on,
 * `localhost` for a loopback one, and the names the user gave (`--host-name`). A wildcard address
 * (`0.0.0.0`, `::`) also takes this machine's host name, its interfaces' addresses and the
 * loopback names. Checking Host stops DNS rebinding: another site's name that resolves here.
 *
 * @example
 * ```ts
 * allowedHosts({ host: "127.0.0.1", port: 0, local: true }, 8080); // ["127.0.0.1:8080", "localhost:8080", …]
 * allowedHosts({ host: "0.0.0.0", port: 8080, local: false }, 8080, ["bgt.example"]); // [hostname():8080, …]
 * ```
 */
export function allowedHosts(
  listen: ListenAddress,
  port: number,
  names: readonly string[] = [],
): string[] {
  const wildcard = listen.host === "0.0.0.0" || listen.host === "::" || listen.host === "";
  const all = wildcard ? [hostname(), ...machineAddresses()] : [listen.host];
  if (wildcard || listen.local) all.push("localhost", "127.0.0.1", "::1");
  // A given `name:port` (a proxy in front) is taken as it is.
  const withPortGiven = names.filter((name) => /^([^:]+|\[[^\]]+\]):\d+$/.test(name));
  all.push(...names.filter((name) => !withPortGiven.includes(name)));
  const hosts = all.map((name) => name.toLowerCase()).map((name) =>
    name.includes(":") && !name.startsWith("[") ? `[${name}]` : name
  );
  // A browser leaves out port 80.
  const withPort = hosts.map((name) => `${name}:${port}`);
  const given = withPortGiven.map((name) => name.toLowerCase());
  return [...new Set([...withPort, ...(port === 80 ? hosts : []), ...given])];
}

/** The addresses of this machine's network interfaces (IPv6 without a zone). */
function machineAddresses(): string[] {
  return Object.values(networkInterfaces()).flatMap((list) =>
    (list ?? []).map((info) => info.address.replace(/%.*$/, ""))
  );
}
