import { test } from "node:test";
import assert from "node:assert/strict";
import type { Command } from "@commander-js/extra-typings";
import { buildProgram } from "../../src/cli/main.ts";
import { lsDefaults } from "../../src/cli/list_tasks.ts";
import { logsDefaults } from "../../src/cli/print_logs.ts";
import { plainRunCall } from "../../src/cli/run_task.ts";
import { followsDoubleDash } from "../../src/cli/task_options.ts";

/** What commander hands `run`'s action for these words, in the form of a plainRunCall. */
async function commanderCall(words: string[]): Promise<unknown> {
  const program = await buildProgram(["run"]);
  type Action = (target: string, args: string[], options: object, command: Command) => void;
  const run = program.commands.find((command) => command.name() === "run")! as unknown as {
    action(action: Action): void;
  };
  let seen: unknown;
  run.action((target, args, options, command) => {
    seen = {
      target,
      args,
      options: { ...options },
      context: {
        afterDashDash: followsDoubleDash(command.parent?.args ?? [], target, args),
        rawArgs: command.parent?.args,
      },
    };
  });
  await program.parseAsync(words, { from: "user" });
  return seen;
}

for (
  const words of [
    ["run", "--", "true"],
    ["run", "--", "echo", "hi", "--name", "x"],
    ["run", "--", "a.ts", "-w", "--", "b"],
    ["run", "--", "sh", "-c", "echo $1", "--shell"],
  ]
) {
  test(`plainRunCall(${JSON.stringify(words)}) is what commander hands the action`, async () => {
    assert.deepEqual(plainRunCall(words), await commanderCall(words));
  });
}

test("plainRunCall() leaves any other words to commander", () => {
  for (
    const words of [
      ["run", "true"],
      ["run", "--"],
      ["run", "-n", "x", "--", "true"],
      ["run", "--wait", "--", "true"],
      ["ls", "--", "x"],
      [],
    ]
  ) {
    assert.equal(plainRunCall(words), undefined, JSON.stringify(words));
  }
});

/** The arguments commander hands the action of `words[0]` (the command object left out). */
async function actionArguments(words: string[]): Promise<unknown[]> {
  const program = await buildProgram([words[0]]);
  const command = program.commands.find((command) => command.name() === words[0])! as unknown as {
    action(action: (...args: unknown[]) => void): void;
  };
  let seen: unknown[] = [];
  command.action((...args) => {
    seen = args.slice(0, -1).map((arg) => typeof arg === "object" ? { ...arg } : arg);
  });
  await program.parseAsync(words, { from: "user" });
  return seen;
}

test("lsDefaults() are the options commander hands `bgt ls`", async () => {
  assert.deepEqual([lsDefaults()], await actionArguments(["ls"]));
});

test("`bgt show <id>` gets no option from commander, as showTask(id, {}) is called", async () => {
  assert.deepEqual(["41", {}], await actionArguments(["show", "41"]));
});

test("logsDefaults() are the options commander hands `bgt logs <id>`", async () => {
  assert.deepEqual(["41", logsDefaults()], await actionArguments(["logs", "41"]));
});

test("`bgt --version` prints what commander prints for it", async () => {
  const { main } = await import("../../src/cli/main.ts");
  const { stdout } = await import("../../src/runtime/std_output.ts");
  const written: unknown[] = [];
  const write = stdout.write;
  stdout.write = (data) => void written.push(data);
  try {
    assert.equal(await main(["--version"]), 0);
    const program = await buildProgram([]);
    program.exitOverride();
    await assert.rejects(program.parseAsync(["--version"], { from: "user" }));
    assert.equal(written.length, 2);
    assert.equal(written[0], written[1]);
  } finally {
    stdout.write = write;
  }
});
