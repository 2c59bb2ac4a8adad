/**
 * Checks that a decoded frame is a well-formed {@linkcode Request} of this protocol version.
 *
 * @example
 * ```ts
 * validateRequest({ v: 1, type: "status" }); // the request, typed
 * validateRequest({ v: 9, type: "status" }); // throws ProtocolError
 * ```
 */
import { ProtocolError } from "../task/errors.ts";
import { PROTOCOL_VERSION, type Request, REQUEST_TYPES } from "./protocol.ts";

/** Returns the value as a Request, or throws a ProtocolError naming what is wrong. */
export function validateRequest(value: unknown): Request {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new ProtocolError("Cannot handle request: not a map");
  }
  const request = value as Record<string, unknown>;
  if (request.v !== PROTOCOL_VERSION) {
    throw new ProtocolError(
      `Cannot handle request: protocol version ${
        String(request.v)
      }, this supervisor speaks ${PROTOCOL_VERSION}; restart it with 'bgt daemon restart' (or 'systemctl --user restart bgt' when systemd runs it)`,
    );
  }
  if (!REQUEST_TYPES.includes(request.type as never)) {
    throw new ProtocolError(`Cannot handle request: unknown type ${JSON.stringify(request.type)}`);
  }
  const isId = (id: unknown) => Number.isSafeInteger(id) && (id as number) > 0;
  if (request.type === "kill" && (!isId(request.id) || typeof request.signal !== "string")) {
    throw new ProtocolError("Cannot handle kill: needs an id and a signal name");
  }
  if (
    request.type === "stop" && request.drainMs !== undefined &&
    !(typeof request.drainMs === "number" && request.drainMs >= 0 && request.drainMs <= 2 ** 31)
  ) {
    throw new ProtocolError("Cannot handle stop: drainMs must be a number of milliseconds");
  }
  if (request.type === "wait" && (!Array.isArray(request.ids) || !request.ids.every(isId))) {
    throw new ProtocolError("Cannot handle wait: needs a list of ids");
  }
  if (request.type === "parallel" && !isId(request.parallel)) {
    throw new ProtocolError("Cannot handle parallel: needs an integer of at least 1");
  }
  return request as Request;
}
