/**
 * Issue 5's "done": seed 002's SYNOPSIS redone with bgt commands (examples/seed_002.sh) runs and
 * does what each seed line did.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import { after, before, describe, test } from "node:test";
import { BGT, TempHome } from "../_helpers/bgt_home.ts";

const EXAMPLE = resolve(import.meta.dirname ?? ".", "../../examples/seed_002.sh");

describe("examples/seed_002.sh", () => {
  let home: TempHome;
  before(() => {
    home = TempHome.create();
  });
  after(() => {
    home.bgt(["daemon", "stop"]);
    home.cleanup();
  });

  test("spawns with env, meta and retained output; pauses what runs; reads streams and ranges", () => {
    const run = spawnSync("sh", [EXAMPLE], {
      cwd: home.work,
      env: home.env({ BGT }),
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const out = run.stdout;
    // search(status => running) + pause: the task was listed as paused.
    assert.match(out, /^1\s+paused\s+hello-world\s/m);
    // stream(1)->start/limit and stream(2): the available ranges.
    const streams = JSON.parse(out.slice(out.indexOf("{"), out.indexOf("}\n}") + 3));
    assert.deepEqual(streams.stdout, { start: 0, limit: 47 });
    assert.deepEqual(streams.stderr, { start: 0, limit: 12 });
    // applyMeta from the spawner, the searcher and the task itself, merged.
    const meta = JSON.parse(out.slice(out.indexOf("meta:\n") + 6, out.indexOf("}\ndata:") + 1));
    assert.equal(meta.name, "Hello World");
    assert.equal(meta.target, "/tmp/bar.txt");
    assert.equal(meta.purpose, "World Domination");
    assert.match(meta.note, /^Paused by \d+$/);
    // stream('data')->read: the task's data record, with the env it was given.
    assert.match(out, /data:\n\{"greeting": "Hello World", "debug": "1"\}\n/);
    // stream('stdout')->read and ->read(12, 35).
    assert.match(out, /stdout:\nHello World\nread: first line\nread: second line\n/);
    assert.match(out, /stdout\[12, 35\):\nread: first line\nread: \n$/);
  });
});
