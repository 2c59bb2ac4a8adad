/**
 * Quotes user input for a one-line error message: control characters are escaped and long text
 * is cut, so a message never spans lines.
 *
 * @example
 * ```ts
 * quoteInput("a\nb"); // "'a\\nb'"
 * ```
 */
export function quoteInput(text: string, maxLength = 120): string {
  const oneLine = text.replace(
    // deno-lint-ignore no-control-regex
    /[\u0000-\u001f\u007f\u2028\u2029]/g,
    (c) =>
      c === "\n"
        ? "\\n"
        : c === "\t"
        ? "\\t"
        : c === "\r"
        ? "\\r"
        : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  const cut = oneLine.length > maxLength ? `${oneLine.slice(0, maxLength - 1)}…` : oneLine;
  return `'${cut}'`;
}
