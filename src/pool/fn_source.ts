/**
 * Turning a function into source text that runs in a clean scope in a worker, and back.
 *
 * @module
 */

/**
 * Returns the source text of a function so that it can be re-created in another worker, in a
 * clean scope (only globals and the values handed over with `capture` are visible).
 *
 * @param fn A plain, arrow, async or method-shorthand function written in user code.
 * @returns An expression that evaluates to an equivalent function.
 * @throws {TypeError} When `fn` is not a function, is native, or is bound (their source is not
 * available).
 *
 * @example
 * ```ts
 * import { fnSource } from "./fn_source.ts";
 * const src = fnSource((x: number) => x * 2);
 * console.assert(new Function(`return (${src})`)()(21) === 42);
 * ```
 */
export function fnSource(fn: unknown): string {
  if (typeof fn !== "function") {
    throw new TypeError(`Cannot send a function by value: expected a function, got ${typeof fn}`);
  }
  const text = Function.prototype.toString.call(fn);
  if (/\{\s*\[native code\]\s*\}\s*$/.test(text)) {
    const bound = fn.name.startsWith("bound ");
    throw new TypeError(
      `Cannot send function '${fn.name || "(anonymous)"}' by value: it is ${
        bound ? "a bound" : "a native"
      } function and has no source; wrap it in a plain function${
        bound ? " and pass the bound values with { capture }" : ""
      }`,
    );
  }
  if (/^class[\s{]/.test(text)) {
    throw new TypeError("Cannot send a class by value: pass a function instead");
  }
  return _normalize(text);
}

/** Method shorthand (`foo(x) { … }`, `async foo() {}`, `*gen() {}`) is not an expression. */
function _normalize(text: string): string {
  if (/^(async\s+)?function[\s*(]/.test(text)) return text;
  // Arrow functions: `x => …`, `(x) => …`, `async x => …`, `async (x) => …`.
  if (/^(async\s*)?(\([^]*?\)|[\w$]+)\s*=>/.test(text)) return text;
  const m = /^(async\s+)?(\*\s*)?/.exec(text)!;
  const rest = text.slice(m[0].length);
  return `${m[1] ?? ""}function${m[2] ? "*" : ""} ${rest.replace(/^(get|set)\s+/, "")}`;
}

/**
 * Compiles function source in the current realm's global scope. Names in `captureNames` become
 * variables visible to the function; their values are given to the returned factory.
 *
 * @param source Text from {@linkcode fnSource}.
 * @param captureNames Names handed over with `capture`, in the order of the factory's arguments.
 * @returns A factory that takes the captured values and returns the function.
 * @throws {SyntaxError} When the source does not compile.
 *
 * @example
 * ```ts
 * import { compileFn, fnSource } from "./fn_source.ts";
 * const make = compileFn("(x) => x * scale", ["scale"]);
 * console.assert((make(2) as (x: number) => number)(21) === 42);
 * ```
 */
export function compileFn(
  source: string,
  captureNames: readonly string[] = [],
): (...captured: unknown[]) => (...args: unknown[]) => unknown {
  return new Function(...captureNames, `"use strict";\nreturn (${source}\n);`) as (
    ...captured: unknown[]
  ) => (...args: unknown[]) => unknown;
}

/**
 * Rewrites a ReferenceError thrown by a function sent by value into one that names the free
 * variable and says how to pass it. Other errors are returned unchanged.
 *
 * @param e The thrown value.
 * @returns The error to report.
 *
 * @example
 * ```ts
 * import { explainFreeVariable } from "./fn_source.ts";
 * const e = explainFreeVariable(new ReferenceError("scale is not defined")) as Error;
 * console.assert(e.message.includes("free variable 'scale'"));
 * ```
 */
export function explainFreeVariable(e: unknown): unknown {
  if (!(e instanceof ReferenceError)) return e;
  const m = /^([\w$]+) is not defined$/.exec(e.message) ??
    /^Can't find variable: ([\w$]+)$/.exec(e.message);
  if (m === null) return e;
  const name = m[1];
  const out = new ReferenceError(
    `Cannot run function: free variable '${name}' is not defined; pass it with { capture: { ${name} } }`,
    { cause: e },
  );
  (out as ReferenceError & { code?: string }).code = "FREE_VARIABLE";
  if (e.stack !== undefined) out.stack = `${out.name}: ${out.message}\n${_stackFrames(e.stack)}`;
  return out;
}

function _stackFrames(stack: string): string {
  return stack.split("\n").filter((l) => /^\s*at /.test(l) || /@/.test(l)).join("\n");
}
