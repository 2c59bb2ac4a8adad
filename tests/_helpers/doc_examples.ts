/**
 * The `@example` code blocks of the library's public API: the doc comments of every symbol
 * `mod.ts` exports (and, for an exported class, of its public members), and the ```ts blocks of
 * a Markdown file. Each comes with where it is written, for a test to run it and name it.
 *
 * @example
 * ```ts
 * for (const example of exportedExamples()) console.log(example.where, example.code.length);
 * ```
 */
import { readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";

/** One code block to run. */
export interface DocExample {
  /** `src/client/client.ts:120 Client.events` */
  where: string;
  /** The file it is written in (relative imports resolve from its directory). */
  file: string;
  code: string;
}

const ROOT = resolve(import.meta.dirname ?? ".", "../..");

/** The exported names of mod.ts, by the file that defines them. */
export function exportedNames(): Map<string, string[]> {
  const mod = readFileSync(join(ROOT, "mod.ts"), "utf8");
  const byFile = new Map<string, string[]>();
  for (const match of mod.matchAll(/export\s+(?:type\s+)?\{([^}]*)\}\s+from\s+"([^"]+)"/g)) {
    const names = match[1].split(",").map((name) => name.trim().split(/\s+as\s+/)[0]).filter(
      Boolean,
    );
    const file = join(ROOT, match[2]);
    byFile.set(file, [...(byFile.get(file) ?? []), ...names]);
  }
  return byFile;
}

/** The ```ts blocks after each `@example` of one doc comment. */
function _examplesOf(comment: string): string[] {
  const text = comment.split("\n").map((line) => line.replace(/^\s*\*\s?/, "")).join("\n");
  const blocks: string[] = [];
  for (const part of text.split("@example").slice(1)) {
    const block = part.match(/```(?:ts|typescript)\n([\s\S]*?)```/);
    if (block) blocks.push(block[1]);
  }
  return blocks;
}

/** The doc comment right before `offset` in `source` (undefined: none). */
function _commentBefore(source: string, offset: number): string | undefined {
  const before = source.slice(0, offset).trimEnd();
  if (!before.endsWith("*/")) return undefined;
  return before.slice(before.lastIndexOf("/**"));
}

/** Every `@example` of mod.ts's exports and their public members. */
export function exportedExamples(): DocExample[] {
  // mod.ts's own (module) doc comment first.
  const mod = join(ROOT, "mod.ts");
  const modText = readFileSync(mod, "utf8");
  const examples: DocExample[] = _examplesOf(modText.slice(0, modText.indexOf("*/") + 2)).map(
    (code) => ({ where: "mod.ts:1 (module)", file: mod, code }),
  );
  for (const [file, names] of exportedNames()) {
    const source = readFileSync(file, "utf8");
    const relative = file.slice(ROOT.length + 1);
    const lineOf = (offset: number) => source.slice(0, offset).split("\n").length;
    for (const name of names) {
      const declaration = new RegExp(
        `^export (?:declare )?(?:abstract )?(?:async )?(class|function\\*?|interface|type|const|let) ${name}\\b`,
        "m",
      ).exec(source);
      if (!declaration) continue;
      const comment = _commentBefore(source, declaration.index);
      for (const code of _examplesOf(comment ?? "")) {
        examples.push({ where: `${relative}:${lineOf(declaration.index)} ${name}`, file, code });
      }
      if (declaration[1] !== "class") continue;
      // The class's public members: the doc comment before each member at two spaces' indent.
      const body = source.slice(declaration.index, _classEnd(source, declaration.index));
      const member =
        /^ {2}(?:static )?(?:async )?\*?(?:get |set )?([a-zA-Z]\w*)\s*(?:<[^>]*>)?\(/gm;
      for (const found of body.matchAll(member)) {
        const at = declaration.index + found.index!;
        for (const code of _examplesOf(_commentBefore(source, at) ?? "")) {
          examples.push({ where: `${relative}:${lineOf(at)} ${name}.${found[1]}`, file, code });
        }
      }
    }
  }
  return examples;
}

/** Where the class declared at `start` ends (its closing brace at column 0). */
function _classEnd(source: string, start: number): number {
  const end = source.indexOf("\n}\n", start);
  return end === -1 ? source.length : end;
}

/** The ```ts blocks of a Markdown file (a block fenced ```ts no-run is left out). */
export function markdownExamples(path: string): DocExample[] {
  const text = readFileSync(path, "utf8");
  const examples: DocExample[] = [];
  for (const match of text.matchAll(/^```ts\n([\s\S]*?)^```/gm)) {
    examples.push({
      where: `${path.slice(ROOT.length + 1)}:${text.slice(0, match.index).split("\n").length}`,
      file: path,
      code: match[1],
    });
  }
  return examples;
}

/**
 * The example as a module of its own: `"bgt"` is this repository's mod.ts, and a relative
 * import resolves from the file the example is written in.
 */
export function runnableSource(example: DocExample): string {
  return example.code.replace(
    /(from\s+|import\(\s*)"([^"]+)"/g,
    (_all, lead: string, specifier: string) => {
      if (specifier === "bgt") return `${lead}${JSON.stringify(join(ROOT, "mod.ts"))}`;
      if (specifier.startsWith(".")) {
        return `${lead}${JSON.stringify(resolve(dirname(example.file), specifier))}`;
      }
      return `${lead}"${specifier}"`;
    },
  );
}
