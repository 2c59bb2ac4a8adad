/**
 * A firing is stale once its slots were handled by another supervisor, even one that planned
 * them at another time (issue 14: a slot fired twice across three hosts when only the planning
 * time was compared).
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { staleFiring, unfiredSlots } from "../../src/task/firing_plan.ts";

const firing = (slots: number[], lastSlot: number) => ({
  slots,
  skipped: 0,
  lastSlot,
  nextAt: 9_000,
});

test("a firing planned later than the one that fired its slot is stale", () => {
  const schedule = { paused: false, lastSlot: 1_250 }; // host B fired slot 1000, planned at 1250
  assert.equal(staleFiring(schedule, firing([1_000], 1_300)), true); // host A planned at 1300
  assert.equal(staleFiring(schedule, firing([1_000, 2_000], 2_100)), false);
  assert.deepEqual(unfiredSlots(firing([1_000, 2_000], 2_100), 1_250), [2_000]);
  assert.equal(staleFiring({ paused: false, lastSlot: null }, firing([1_000], 1_300)), false);
  assert.equal(staleFiring({ paused: true, lastSlot: null }, firing([1_000], 1_300)), true);
  assert.equal(staleFiring(schedule, firing([], 1_300)), false, "a move of the mark alone goes on");
});
