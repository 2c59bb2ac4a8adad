/**
 * How the words after a module file become the function's arguments (README "Arguments").
 *
 * Positionals become arguments, each parsed as JSON when it is valid JSON, else kept as a string.
 * `--key value`, `--key=value` and `--flag` are gathered into one options object passed last.
 * A lone `--` ends option parsing: every later word is positional.
 *
 * @example
 * ```ts
 * parseModuleArgs(["data.csv", "3", "--epochs", "3", "--dry"]);
 * // ["data.csv", 3, { epochs: 3, dry: true }]
 * ```
 */

/** Parses the words after the module file into the argument list. */
export function parseModuleArgs(words: readonly string[]): unknown[] {
  const positionals: unknown[] = [];
  const options: Record<string, unknown> = {};
  let sawOption = false;
  for (let i = 0; i < words.length; i++) {
    const word = words[i];
    if (word === "--") {
      positionals.push(...words.slice(i + 1).map(_jsonOrString));
      break;
    }
    if (word.startsWith("--") && word.length > 2) {
      sawOption = true;
      const body = word.slice(2);
      const eq = body.indexOf("=");
      if (eq >= 0) {
        options[_camel(body.slice(0, eq))] = _jsonOrString(body.slice(eq + 1));
      } else if (i + 1 < words.length && !words[i + 1].startsWith("--")) {
        options[_camel(body)] = _jsonOrString(words[++i]);
      } else {
        options[_camel(body)] = true;
      }
      continue;
    }
    positionals.push(_jsonOrString(word));
  }
  return sawOption ? [...positionals, options] : positionals;
}

function _jsonOrString(word: string): unknown {
  try {
    return JSON.parse(word);
  } catch {
    return word;
  }
}

function _camel(key: string): string {
  return key.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}
