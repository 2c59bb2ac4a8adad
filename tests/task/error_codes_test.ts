/**
 * One registry of error codes: every error class bgt throws on purpose has a registered code,
 * isBgtError() recognises them (also re-created from plain data), and the CLI's exit status
 * comes from the registry.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ScheduleNotFoundError } from "../../src/client/client.ts";
import { UsageError } from "../../src/cli/cli_error.ts";
import { ConfigError } from "../../src/config/config_file.ts";
import { HookConfigError } from "../../src/hooks/global_hooks.ts";
import {
  AbortError,
  PoolClosedError,
  TimeoutError,
  WorkerCrashedError,
} from "../../src/pool/errors.ts";
import { ScheduleError } from "../../src/task/errors.ts";
import { StoreConfigError } from "../../src/store/open_store.ts";
import { ForeignPathError } from "../../src/store/own_files.ts";
import { StoreUnavailableError } from "../../src/store/postgres/store_unavailable.ts";
import { SubmitRefusedError } from "../../src/store/task_rows.ts";
import { SupervisorRunningError } from "../../src/supervisor/supervisor.ts";
import { ERROR_CODES, exitStatusOf, isBgtError } from "../../src/task/error_codes.ts";
import {
  fromErrorData,
  ProtocolError,
  SupervisorUnavailableError,
  SupervisorUnresponsiveError,
  TaskNotFoundError,
  TaskStateError,
  toErrorData,
} from "../../src/task/errors.ts";
import { InvalidTaskError } from "../../src/task/validate_task.ts";

const errors: Error[] = [
  new UsageError("x"),
  new InvalidTaskError("x"),
  new SubmitRefusedError("x"),
  new ScheduleError("x"),
  new HookConfigError("x"),
  new ConfigError("x"),
  new StoreConfigError("x"),
  new TaskNotFoundError(1),
  new ScheduleNotFoundError(1),
  new TaskStateError("x"),
  new SupervisorUnavailableError("x"),
  new SupervisorUnresponsiveError("x"),
  new SupervisorRunningError("x"),
  new StoreUnavailableError("x"),
  new ForeignPathError("x"),
  new ProtocolError("x"),
  new AbortError(),
  new TimeoutError(),
  new WorkerCrashedError("x"),
  new PoolClosedError(),
];

test("every error class's code is in the registry, in one style (no BGT_ prefix)", () => {
  for (const error of errors) {
    const code = (error as { code?: string }).code;
    assert.ok(isBgtError(error), `${error.name}: ${code}`);
    assert.match(String(code), /^[A-Z][A-Z_]+$/);
    assert.ok(!String(code).startsWith("BGT_"), String(code));
  }
});

test("isBgtError() checks the code, also of an error re-created from plain data", () => {
  const error = new TaskNotFoundError(4);
  assert.equal(isBgtError(error, "TASK_NOT_FOUND"), true);
  assert.equal(isBgtError(error, "TASK_STATE"), false);
  assert.equal(isBgtError(fromErrorData(toErrorData(error)), "TASK_NOT_FOUND"), true);
  assert.equal(isBgtError(new Error("x")), false);
  assert.equal(isBgtError(Object.assign(new Error("x"), { code: "ENOENT" })), false);
  assert.equal(isBgtError(Object.assign(new Error("x"), { code: "toString" })), false);
  assert.equal(isBgtError("TASK_NOT_FOUND"), false);
  assert.equal(isBgtError(null), false);
});

test("the CLI's exit status comes from the registry: 2 for bad input, 1 for the rest", () => {
  assert.equal(exitStatusOf(new UsageError("x")), 2);
  assert.equal(exitStatusOf(new InvalidTaskError("x")), 2);
  assert.equal(exitStatusOf(new ScheduleError("x")), 2);
  assert.equal(exitStatusOf(new TaskNotFoundError(1)), 1);
  assert.equal(exitStatusOf(new Error("x")), 1);
  for (const [code, { exit }] of Object.entries(ERROR_CODES)) {
    assert.ok(exit === 1 || exit === 2, code);
  }
});
