/**
 * SQLite's GLOB as a regular expression (for stores without GLOB): `*` any run, `?` one
 * character, `[…]` a class (`[^…]` negated), all else literal and case-sensitive.
 *
 * @example
 * ```ts
 * new RegExp(globToRegExp("build-*")).test("build-7"); // true
 * ```
 */

/** The anchored regular expression source that matches what `glob` matches. */
export function globToRegExp(glob: string): string {
  let source = "^";
  for (let i = 0; i < glob.length; i++) {
    const char = glob[i];
    if (char === "*") source += "[\\s\\S]*";
    else if (char === "?") source += "[\\s\\S]";
    else if (char === "[") {
      const end = glob.indexOf("]", i + 2);
      if (end < 0) {
        source += "\\[";
        continue;
      }
      let body = glob.slice(i + 1, end);
      const negated = body.startsWith("^");
      if (negated) body = body.slice(1);
      source += `[${negated ? "^" : ""}${body.replace(/[\\\]]/g, "\\$&")}]`;
      i = end;
    } else source += char.replace(/[.+^${}()|\\\]]/g, "\\$&");
  }
  return source + "$";
}
