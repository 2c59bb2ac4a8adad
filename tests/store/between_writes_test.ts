/**
 * `betweenWrites` on PostgreSQL: what pausing an `--isolate`d task goes through, so that its
 * process is never stopped inside a report's transaction. It waits while another transaction
 * holds the task's row (a report half done) and acts once that one has ended. (On SQLite it is
 * one IMMEDIATE transaction; tests/e2e/control_test.ts pauses a task in the middle of its
 * writes there.)
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import type { TaskStore } from "../../src/store/task_store.ts";
import { onSchema } from "../_helpers/pg_schemas.ts";
import { submitIds } from "../_helpers/store.ts";
import { until } from "../_helpers/until.ts";
import { forEachStore, postgresFactory, TEST_POSTGRES_URL } from "./_stores.ts";

forEachStore("betweenWrites", (open) => {
  test("acts only once another transaction holding the task's row has ended", async () => {
    const store: TaskStore = await open();
    const [id] = await submitIds(store, [{ spec: { kind: "command", argv: ["true"] } }]);
    let release: (() => void) | undefined;
    const report = onSchema(store.description, (sql) =>
      sql.begin(async (tx) => {
        await tx`SELECT 1 FROM tasks WHERE id = ${id} FOR UPDATE`;
        await new Promise<void>((resolve) => (release = resolve));
      }), { server: TEST_POSTGRES_URL });
    await until(() => release !== undefined);
    let acted = false;
    const between = store.betweenWrites(id, () => {
      acted = true;
      return "stopped";
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal(acted, false, "it waited for the report's transaction");
    release!();
    assert.equal(await between, "stopped");
    await report;
  });
}, [postgresFactory]);
