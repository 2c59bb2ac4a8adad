/**
 * The shared store's output table and control requests (PostgreSQL; SQLite has neither): a
 * chunk shipped twice is stored once, reads go on from any offset, `--retain`'s trim deletes the
 * chunks before the kept start; a control request is read by its owner only, answered once, and
 * its outcome collected (and the row deleted) by the requester.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { forEachStore, postgresFactory, sqliteFactory } from "./_stores.ts";

const bytes = (text: string) => new TextEncoder().encode(text);
const text = (data: Uint8Array) => new TextDecoder().decode(data);

forEachStore("shared output and control", (open) => {
  test("a chunk shipped twice is stored once; reads go on from an offset; a trim drops what --retain dropped", async () => {
    const store = await open();
    const output = store.output!;
    const first = {
      taskId: 7,
      attempt: 1,
      stream: "stdout" as const,
      offset: 0,
      data: bytes("hello "),
    };
    const second = { ...first, offset: 6, data: bytes("world\n") };
    await output.ship([first, second]);
    await output.ship([second, { ...first, stream: "stderr", data: bytes("oops\n") }]);
    assert.deepEqual(await output.shippedEnds(7), { stdout: 12, stderr: 5, data: 0 });
    const all = await output.read(7, { stdout: 0, stderr: 0, data: 0 });
    assert.deepEqual(all.map((c) => [c.stream, c.offset, text(c.data)]), [
      ["stdout", 0, "hello "],
      ["stdout", 6, "world\n"],
      ["stderr", 0, "oops\n"],
    ]);
    // A chunk that reaches past the offset is read whole (the reader skips its front).
    const later = await output.read(7, { stdout: 8, stderr: 5, data: 0 });
    assert.deepEqual(later.map((c) => c.offset), [6]);
    await output.trim(7, "stdout", 6);
    assert.deepEqual(await output.starts(7), { stdout: 6, stderr: 0 });
    // Another handle (another host) reads the same.
    const other = await open(store);
    assert.equal((await other.output!.read(7, { stdout: 0, stderr: 0, data: 0 })).length, 2);
  });

  test("a chunk re-sent longer at the same offset (its first ack was lost) loses no byte", async () => {
    const store = await open();
    const output = store.output!;
    const data = new Uint8Array(200).map((_, i) => 1 + (i % 250));
    const chunk = { taskId: 8, attempt: 1, stream: "stdout" as const, offset: 0 };
    await output.ship([{ ...chunk, data: data.subarray(0, 100) }]); // committed, "failed"
    await output.ship([{ ...chunk, data }]); // the next pass re-sends from 0, longer
    await output.ship([{ ...chunk, data: data.subarray(0, 50) }]); // a shorter one changes nothing
    assert.deepEqual(await output.shippedEnds(8), { stdout: 200, stderr: 0, data: 0 });
    const read = await output.read(8, { stdout: 0, stderr: 0, data: 0 });
    assert.deepEqual(read.map((c) => [c.offset, c.data.length]), [[0, 200]]);
    assert.deepEqual(read[0].data, data);
  });

  test("a ship with trims deletes the dropped front and inserts the chunks together", async () => {
    const store = await open();
    const output = store.output!;
    const chunk = { taskId: 9, attempt: 1, stream: "stdout" as const };
    await output.ship([{ ...chunk, offset: 0, data: bytes("old\n") }]);
    await output.ship([{ ...chunk, offset: 100, data: bytes("new\n") }], [
      { taskId: 9, stream: "stdout", before: 100 },
    ]);
    const read = await output.read(9, { stdout: 0, stderr: 0, data: 0 });
    assert.deepEqual(read.map((c) => [c.offset, text(c.data)]), [[100, "new\n"]]);
    // One transaction: an insert that fails leaves the trim undone too.
    const trim = { taskId: 9, stream: "stdout" as const, before: 200 };
    const bad = { ...chunk, attempt: 2 ** 40, offset: 200, data: bytes("x") }; // not an int
    await assert.rejects(output.ship([bad], [trim]));
    const after = await output.read(9, { stdout: 0, stderr: 0, data: 0 });
    assert.deepEqual(after.map((c) => c.offset), [100], "the trim was rolled back");
  });

  test("a control request reaches its owner only; the requester collects the answer once", async () => {
    const store = await open();
    const control = store.control!;
    const id = await control.request("b/1/x", 7, { kind: "signal", signal: "SIGTERM" });
    const sent = await control.request("b/1/x", 7, {
      kind: "send",
      data: bytes("hi\n"),
      eof: true,
    });
    assert.deepEqual(await control.pending("a/1/y"), []);
    const pending = await control.pending("b/1/x");
    assert.deepEqual(pending.map((r) => [r.id, r.taskId, r.action.kind]), [
      [id, 7, "signal"],
      [sent, 7, "send"],
    ]);
    const send = pending[1].action;
    assert.ok(send.kind === "send" && text(send.data) === "hi\n" && send.eof);
    assert.equal(await control.outcome(id), undefined);
    await control.answer(id, { ok: true, already: "succeeded" });
    assert.deepEqual(await control.outcome(id), { ok: true, already: "succeeded" });
    assert.equal(await control.outcome(id), undefined); // collected: gone
    await control.withdraw(sent);
    assert.deepEqual(await control.pending("b/1/x"), []);
  });
}, [postgresFactory]);

forEachStore("no shared output on one host", (open) => {
  test("the embedded store ships nothing and has no control requests", async () => {
    const store = await open();
    assert.equal(store.output, undefined);
    assert.equal(store.control, undefined);
  });
}, [sqliteFactory]);
