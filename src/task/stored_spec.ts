/**
 * A task's spec as the stores keep it (MessagePack): each string of it that holds bytes that are
 * not UTF-8 (escaped in memory, see `src/runtime/raw_bytes.ts`) is stored as its bytes, a `bin`
 * value, since MessagePack's strings cannot carry them.
 *
 * @example
 * ```ts
 * const bytes = encode(storableSpec(task.spec));
 * specFromStore(decode(bytes)); // task.spec, byte for byte
 * ```
 */
import { bytesToText, hasRawBytes, textToBytes } from "../runtime/raw_bytes.ts";
import type { NewTask, TaskSpec } from "./types.ts";

/**
 * The spec as it is stored: each string of it that holds raw bytes (an argv word, a shell line, a
 * module path) becomes its bytes, which MessagePack keeps as `bin`. The common spec is returned
 * as it is.
 *
 * @example
 * ```ts
 * storableSpec({ kind: "command", argv: ["printf", "\udcff"] }); // argv[1] is Uint8Array [0xff]
 * ```
 */
export function storableSpec(spec: TaskSpec): unknown {
  const pack = (text: string) => hasRawBytes(text) ? textToBytes(text) : text;
  switch (spec.kind) {
    case "command":
      return spec.argv.some(hasRawBytes) ? { ...spec, argv: spec.argv.map(pack) } : spec;
    case "shell":
      return hasRawBytes(spec.line) ? { ...spec, line: pack(spec.line) } : spec;
    case "module":
      return hasRawBytes(spec.module) ? { ...spec, module: pack(spec.module) } : spec;
    default:
      return spec;
  }
}

/**
 * A stored spec back in memory: the byte strings of {@linkcode storableSpec} become text with
 * escaped bytes again.
 *
 * @example
 * ```ts
 * specFromStore(decode(row.spec)); // { kind: "command", argv: ["printf", "\udcff"] }
 * ```
 */
export function specFromStore(value: unknown): TaskSpec {
  const spec = value as Record<string, unknown>;
  const text = (item: unknown) => item instanceof Uint8Array ? bytesToText(item) : item;
  if (Array.isArray(spec.argv) && spec.argv.some((word) => word instanceof Uint8Array)) {
    return { ...spec, argv: spec.argv.map(text) } as TaskSpec;
  }
  if (spec.line instanceof Uint8Array) return { ...spec, line: text(spec.line) } as TaskSpec;
  if (spec.module instanceof Uint8Array) return { ...spec, module: text(spec.module) } as TaskSpec;
  return spec as unknown as TaskSpec;
}

/**
 * A schedule's task template as it is stored: its spec as {@linkcode storableSpec} keeps it,
 * its environment as {@linkcode storableEnv} does.
 *
 * @example
 * ```ts
 * encode(storableTemplate(schedule.template));
 * ```
 */
export function storableTemplate(template: NewTask): unknown {
  const spec = storableSpec(template.spec);
  const env = template.env && storableEnv(template.env);
  return spec === template.spec && env === template.env ? template : { ...template, spec, env };
}

/**
 * A stored template back in memory (see {@linkcode storableTemplate}).
 *
 * @example
 * ```ts
 * templateFromStore(decode(row.template)).spec;
 * ```
 */
export function templateFromStore(value: unknown): NewTask {
  const template = value as NewTask;
  if (!template?.spec) return template;
  const env = template.env && envFromStore(template.env);
  return { ...template, spec: specFromStore(template.spec), env };
}

/** Environments known to hold no bytes that are not UTF-8 (by identity: a task's env is not changed). */
const _plainEnvs = new WeakSet<object>();

/** How a value with bytes that are not UTF-8 is stored in an environment: `{ bytes: base64 }`. */
interface _StoredBytes {
  bytes: string;
}

/**
 * An environment as it is stored where a lone surrogate cannot go (PostgreSQL's jsonb, a
 * MessagePack template): each value with bytes that are not UTF-8 becomes `{ bytes: base64 }`.
 * The common environment is returned as it is.
 *
 * @example
 * ```ts
 * storableEnv({ A: "caf\udce9" }); // { A: { bytes: "Y2Fm6Q==" } }
 * ```
 */
export function storableEnv(env: Readonly<Record<string, string>>): Record<string, unknown> {
  // A batch's tasks usually share one environment object: it is scanned once.
  if (_plainEnvs.has(env)) return env;
  if (!Object.values(env).some(hasRawBytes)) {
    _plainEnvs.add(env);
    return env;
  }
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = hasRawBytes(value)
      ? { bytes: Buffer.from(textToBytes(value)).toString("base64") }
      : value;
  }
  return out;
}

/**
 * A stored environment back in memory (see {@linkcode storableEnv}).
 *
 * @example
 * ```ts
 * envFromStore({ A: { bytes: "Y2Fm6Q==" } }); // { A: "caf\udce9" }
 * ```
 */
export function envFromStore(env: Record<string, unknown>): Record<string, string> {
  if (!Object.values(env).some((value) => typeof value === "object" && value !== null)) {
    return env as Record<string, string>;
  }
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    out[name] = typeof value === "string"
      ? value
      : bytesToText(Buffer.from((value as _StoredBytes).bytes, "base64"));
  }
  return out;
}
