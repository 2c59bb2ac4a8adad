/**
 * The README's quick start, typed as a new user would: the lines it shows for `wait`, `result`
 * and `run` are the lines bgt prints, and the help text agrees with it.
 */
import assert from "node:assert/strict";
import { cpSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { TempHome } from "../_helpers/bgt_home.ts";

const ROOT = resolve(import.meta.dirname ?? ".", "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The quick-start transcript: the first ```sh block whose lines start with `$ `. */
function quickStartTranscript(): string[] {
  const blocks = [...README.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]);
  const transcript = blocks.find((block) => block.startsWith("$ "));
  assert.ok(transcript, "README has a transcript block");
  return transcript.trimEnd().split("\n");
}

/** The lines the transcript shows after the command that starts with `$ <command>`. */
function printedAfter(lines: string[], command: string): string[] {
  const start = lines.findIndex((line) => line.startsWith(`$ ${command}`));
  assert.notEqual(start, -1, `the transcript types '${command}'`);
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((line) => line.startsWith("$ "));
  return end === -1 ? rest : rest.slice(0, end);
}

describe("README quick start", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
    cpSync(join(ROOT, "examples"), join(home.work, "examples"), { recursive: true });
  });
  after(() => home.cleanup());

  test("wait and result print what the transcript shows", () => {
    const lines = quickStartTranscript();
    const id = home.ok(["run", "examples/word_count.ts", "to be or not to be", "--top", "2"]);
    const wait = home.bgt(["wait", id]);
    const result = home.bgt(["result", id]);
    assert.equal(wait.code, 0, wait.stderr);
    const shown = printedAfter(lines, "bgt wait $id && bgt result $id")
      .map((line) => line.replaceAll(/\b1\b/g, id));
    assert.deepEqual(shown, [...wait.stdout.trimEnd().split("\n"), result.stdout.trim()]);
  });

  test("a command's id is printed alone, and its log is the transcript's", () => {
    const lines = quickStartTranscript();
    const id = home.ok(["run", "--", "sh", "-c", "echo hello; exit 3"]);
    assert.match(id, /^\d+$/);
    home.bgt(["wait", id]);
    const logged = printedAfter(lines, "bgt logs 2");
    assert.deepEqual(logged, home.ok(["logs", id]).split("\n"));
    // ls's STATUS column for that task is the transcript's (with the exit code).
    const statusIn = (row: string | undefined) => row?.split(/\s{2,}/)[1];
    const shownRow = printedAfter(lines, "bgt ls").find((line) => line.startsWith("2 "));
    const realRow = home.ok(["ls"]).split("\n").find((line) => line.startsWith(`${id} `));
    assert.equal(statusIn(realRow), statusIn(shownRow));
  });

  test("the PATH step makes the folder it links into", () => {
    assert.match(
      README,
      /mkdir -p ~\/\.local\/bin && ln -sf "\$PWD\/dist\/bgt" ~\/\.local\/bin\/bgt/,
    );
  });

  test("run --help does not say --isolate is needed to pause a module task", () => {
    const help = home.ok(["run", "--help"]);
    const lines = help.split("\n");
    const first = lines.findIndex((line) => line.includes("--isolate"));
    assert.notEqual(first, -1);
    // The option's description, with the lines commander wrapped it onto.
    const rest = lines.slice(first + 1);
    const wrapped = rest.slice(0, rest.findIndex((line) => /^\s*-/.test(line) || line === ""));
    const isolate = [lines[first], ...wrapped].join(" ");
    assert.doesNotMatch(isolate, /paus/);
  });
});
