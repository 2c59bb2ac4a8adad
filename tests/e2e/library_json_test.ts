/**
 * The library's Task and the CLI's --json describe a task the same way: `taskJson()` of what
 * `client.get()` returns is what `bgt show --json` prints (less show's extras: its CPU and memory,
 * why it waits, its streams and its hook deliveries), and of what `client.list()` returns what
 * `bgt ls --json` does (less its CPU and memory).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connect } from "../../src/client/client.ts";
import { taskJson } from "../../src/task/task_json.ts";
import { TempHome } from "../_helpers/bgt_home.ts";

describe("the library's Task and the CLI's --json", () => {
  let home: TempHome;
  before(() => (home = TempHome.create()));
  after(() => home.cleanup());

  test("taskJson(client.get(id)) is show --json; taskJson(list, no result) is ls --json", async () => {
    const id = home.ok([
      "run",
      "-n",
      "json",
      "-m",
      "k=v",
      "--on-success",
      "true",
      "--",
      "sh",
      "-c",
      "echo hi",
    ]);
    home.ok(["wait", id]);
    const client = await connect({ env: home.env() });
    try {
      const { usage, waiting, streams, hookDeliveries, ...shown } = JSON.parse(
        home.ok(["show", id, "--json"]),
      );
      assert.equal(waiting, null);
      assert.equal(usage, null);
      assert.ok(streams && Array.isArray(hookDeliveries));
      const task = await client.get(Number(id));
      assert.deepEqual(taskJson(task), shown);
      assert.equal(shown.name, "json");
      assert.deepEqual(shown.hooks, { onSuccess: "true" });
      const listed = JSON.parse(home.ok(["ls", "--json"]));
      const [fromList] = await client.list({ ids: [Number(id)] });
      const { usage: listedUsage, ...row } = listed.find((t: { id: number }) =>
        t.id === Number(id)
      );
      assert.equal(listedUsage, null);
      assert.deepEqual(row, taskJson(fromList, { result: false }));
    } finally {
      await client.close();
    }
  });
});
