import assert from "node:assert/strict";

/**
 * Asserts that `run` throws a ScheduleError whose message is one line and contains every part.
 *
 * @example
 * ```ts
 * assertScheduleError(() => parseDuration("10 parsecs"), "'10 parsecs'", "unknown unit 'parsecs'");
 * ```
 */
export function assertScheduleError(run: () => unknown, ...parts: string[]): void {
  assert.throws(run, (error: unknown) => {
    assert.ok(error instanceof Error, "an Error");
    assert.equal(error.name, "ScheduleError");
    assert.equal((error as { code?: string }).code, "SCHEDULE_INVALID");
    assert.doesNotMatch(error.message, /[\n\r]/, `one line: ${error.message}`);
    for (const part of parts) {
      assert.ok(error.message.includes(part), `'${error.message}' should contain "${part}"`);
    }
    return true;
  });
}
