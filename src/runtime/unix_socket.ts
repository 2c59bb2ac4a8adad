/**
 * A client connection to a unix socket, by the runtime's own means: `Bun.connect` on Bun,
 * `node:net` elsewhere. Loading `node:net` in a compiled bgt costs ~15 ms of start-up (it
 * brings Node's stream modules: a compiled client sending one frame took 22.5 ms through
 * `node:net` against 8.6 ms through `Bun.connect`, a hello-world 7.0 ms), which every command
 * that asks the supervisor something (`wait`, `kill`, `daemon status`, …) paid.
 *
 * @example
 * ```ts
 * const socket = connectUnix("/state/bgt.sock", {
 *   open: () => socket.write(new TextEncoder().encode("hi")),
 *   data: (chunk) => console.log(chunk.length),
 *   error: (error) => console.error(error.message), // could not connect, or broke
 *   close: () => {},
 * });
 * socket.destroy();
 * ```
 */

/** What a connection tells its owner; after `error` or `close`, nothing more. */
export interface UnixSocketHandlers {
  /** Connected: writing may begin (writes before are queued). */
  open(): void;
  /** Bytes arrived. */
  data(chunk: Uint8Array): void;
  /** The connection could not be made, or failed (`code` as Node's: ENOENT, ECONNREFUSED…). */
  error(error: Error & { code?: string }): void;
  /** The other side closed the connection. */
  close(): void;
}

/** A connection made by {@linkcode connectUnix}. */
export interface UnixSocket {
  /** Sends bytes, in order; queued while the connection is not open or the kernel is full. */
  write(bytes: Uint8Array): void;
  /** Closes the connection at once; no handler is called after. */
  destroy(): void;
}

/** Connects to the unix socket at `path`. */
export function connectUnix(path: string, handlers: UnixSocketHandlers): UnixSocket {
  return "Bun" in globalThis ? _connectBun(path, handlers) : _connectNode(path, handlers);
}

type BunSocket = Awaited<ReturnType<typeof Bun.connect>>;

function _connectBun(path: string, handlers: UnixSocketHandlers): UnixSocket {
  let socket: BunSocket | undefined;
  let ended = false;
  let unsent = new Uint8Array(0);
  const end = () => {
    if (ended) return false;
    ended = true;
    return true;
  };
  const flush = () => {
    if (!socket || !unsent.length) return;
    const written = socket.write(unsent);
    unsent = written >= unsent.length ? new Uint8Array(0) : unsent.slice(Math.max(0, written));
  };
  Bun.connect({
    unix: path,
    socket: {
      open(opened) {
        socket = opened;
        if (ended) return void opened.end();
        flush();
        handlers.open();
      },
      data(_socket, chunk) {
        if (!ended) handlers.data(chunk);
      },
      drain: flush,
      close() {
        if (end()) handlers.close();
      },
      error(_socket, error) {
        if (end()) handlers.error(error);
      },
    },
  }).catch((error: Error) => {
    if (end()) handlers.error(error);
  });
  return {
    write(bytes) {
      if (ended) return;
      const joined = new Uint8Array(unsent.length + bytes.length);
      joined.set(unsent);
      joined.set(bytes, unsent.length);
      unsent = joined;
      flush();
    },
    destroy() {
      ended = true;
      socket?.end();
    },
  };
}

function _connectNode(path: string, handlers: UnixSocketHandlers): UnixSocket {
  let ended = false;
  const end = () => {
    if (ended) return false;
    ended = true;
    return true;
  };
  let socket: import("node:net").Socket | undefined;
  const queued: Uint8Array[] = [];
  import("node:net").then(({ connect }) => {
    if (ended) return;
    socket = connect(path);
    for (const bytes of queued.splice(0)) socket.write(bytes);
    socket.once("connect", () => !ended && handlers.open());
    socket.on("data", (chunk: Uint8Array) => !ended && handlers.data(chunk));
    socket.once("error", (error) => end() && handlers.error(error));
    socket.once("close", () => end() && handlers.close());
  });
  return {
    write(bytes) {
      if (ended) return;
      if (socket) socket.write(bytes);
      else queued.push(bytes);
    },
    destroy() {
      ended = true;
      socket?.destroy();
    },
  };
}
