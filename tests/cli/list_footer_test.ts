/**
 * The footer `bgt ls` writes on stderr when `--limit` cuts the list: exact below the bound it
 * counts to, a lower bound ("10,000+") at it, so that `ls` on a million tasks counts no more.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { MORE_COUNTED_UP_TO, morePastLimit } from "../../src/cli/list_tasks.ts";

test("the footer counts exactly below the bound and says '+' at it", () => {
  assert.equal(morePastLimit(1), "… 1 more task (use --limit)");
  assert.equal(morePastLimit(1234), "… 1,234 more tasks (use --limit)");
  assert.equal(morePastLimit(MORE_COUNTED_UP_TO - 1), "… 9,999 more tasks (use --limit)");
  assert.equal(morePastLimit(MORE_COUNTED_UP_TO), "… 10,000+ more tasks (use --limit)");
});
