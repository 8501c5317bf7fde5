// reconnectPlan from the dashboard's live-feed client (pagerline/web/static/gqlws.js): when a
// page reconnects after a close. Run by tests/unit/test_gqlws_reconnect.py (`node --test`).
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { test } from "node:test";

// The file is a browser ES module (.js without a package.json saying so): import its text.
const source = await readFile(new URL("../../pagerline/web/static/gqlws.js", import.meta.url), "utf8");
const { reconnectPlan } = await import(`data:text/javascript,${encodeURIComponent(source)}`);

const RESYNC = 1012;
const ABNORMAL = 1006;
const HEALTHY_MS = 30_000;
const highest = () => 0.999_999; // the longest delay each rule allows
const lowest = () => 0; // the shortest

test("the first 1012 since a healthy period reconnects within a second", () => {
  const fresh = { attempt: 0, resyncsInARow: 0 };
  assert.ok(reconnectPlan(fresh, RESYNC, 5_000, highest).delayMs <= 1_000);
  assert.equal(reconnectPlan(fresh, RESYNC, 5_000, lowest).delayMs, 0);
  // Healthy for long enough: a 1012 after it counts as the first again.
  const afterStorm = { attempt: 0, resyncsInARow: 4 };
  const plan = reconnectPlan(afterStorm, RESYNC, HEALTHY_MS, highest);
  assert.deepEqual({ ...plan, delayMs: plan.delayMs <= 1_000 }, { delayMs: true, attempt: 0, resyncsInARow: 1, catchingUp: true });
});

test("1012 after 1012 without a healthy period backs off, longer each time, up to the cap", () => {
  let state = { attempt: 0, resyncsInARow: 0 };
  const shortest = [];
  for (let close = 0; close < 10; close += 1) {
    const plan = reconnectPlan(state, RESYNC, 2_000, lowest); // each connection lived 2 s
    shortest.push(plan.delayMs);
    assert.equal(plan.catchingUp, true);
    state = { attempt: 0, resyncsInARow: plan.resyncsInARow }; // every one of them was acknowledged
  }
  // The normal backoff's floor (half of 0.5 s, 1 s, 2 s, ... capped at 30 s) from the second on.
  assert.deepEqual(shortest, [0, 500, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000, 15_000, 15_000]);
  assert.equal(reconnectPlan({ attempt: 0, resyncsInARow: 9 }, RESYNC, 2_000, highest).delayMs, 30_000);
});

test("a failure between two 1012s does not reset the count; ordinary failures back off as before", () => {
  const failed = reconnectPlan({ attempt: 0, resyncsInARow: 1 }, ABNORMAL, 0, lowest);
  assert.deepEqual(failed, { delayMs: 250, attempt: 1, resyncsInARow: 1, catchingUp: false });
  assert.ok(reconnectPlan(failed, RESYNC, 1_000, lowest).delayMs >= 500);
  assert.equal(reconnectPlan({ attempt: 3, resyncsInARow: 0 }, ABNORMAL, 0, highest).delayMs, 4_000);
  assert.equal(reconnectPlan({ attempt: 20, resyncsInARow: 0 }, ABNORMAL, 0, highest).delayMs, 30_000);
});
