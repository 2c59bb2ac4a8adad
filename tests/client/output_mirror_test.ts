/**
 * The copies a client keeps of output shipped from other hosts (a long-running `bgt ui` makes
 * one per task it shows): at most `kept`, the least recently used deleted first, and a removed
 * task's copy deleted at once.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { after, test } from "node:test";
import { OutputMirrors, removeMirrors } from "../../src/client/output_mirror.ts";
import { forEachStore, postgresFactory } from "../store/_stores.ts";

forEachStore("OutputMirrors", (open) => {
  after(() => removeMirrors());

  test("keeps at most `kept` copies, deleting the least recently used; drop() deletes one", async () => {
    const store = await open();
    const output = store.output!;
    for (const id of [1, 2, 3, 4]) {
      const data = new TextEncoder().encode(`task ${id}\n`);
      await output.ship([{ taskId: id, attempt: 1, stream: "stdout", offset: 0, data }]);
    }
    const mirrors = new OutputMirrors(output, 2);
    const copy = async (id: number) => {
      const mirror = mirrors.take(id);
      await mirror.sync();
      return mirror.files;
    };
    const one = await copy(1);
    const two = await copy(2);
    assert.equal(readFileSync(one.stdout, "utf8"), "task 1\n");
    mirrors.get(1); // used again: 2 is now the least recently used
    const three = await copy(3);
    assert.equal(mirrors.size, 2);
    assert.equal(existsSync(two.dir), false, "the least recently used copy is deleted");
    assert.equal(readFileSync(one.stdout, "utf8"), "task 1\n");
    assert.equal(readFileSync(three.stdout, "utf8"), "task 3\n");
    mirrors.drop(3);
    assert.equal(existsSync(three.dir), false, "a removed task's copy is deleted");
    assert.equal(mirrors.size, 1);
    assert.equal(readFileSync((await copy(2)).stdout, "utf8"), "task 2\n", "copied anew");
  });
}, [postgresFactory]);
