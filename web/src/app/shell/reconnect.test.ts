import { describe, expect, it } from "vitest";
import { BACKOFF_MAX_MS, HEALTHY_MS, reconnectPlan } from "./reconnect";

const fresh = { attempt: 0, resyncsInARow: 0 };
const top = () => 0.999999;
const bottom = () => 0;

describe("reconnectPlan", () => {
  it("backs off exponentially with jitter up to a cap", () => {
    let state = fresh;
    const ceilings: number[] = [];
    for (let i = 0; i < 10; i++) {
      const plan = reconnectPlan(state, 1006, 0, top);
      const low = reconnectPlan(state, 1006, 0, bottom);
      expect(low.delayMs).toBe(Math.round(plan.delayMs / 2));
      ceilings.push(plan.delayMs);
      state = plan;
    }
    expect(ceilings.slice(0, 4)).toEqual([500, 1000, 2000, 4000]);
    expect(ceilings.at(-1)).toBe(BACKOFF_MAX_MS);
    expect(state.attempt).toBe(10);
  });

  it("reconnects within a second after one 1012, without counting a failure", () => {
    const plan = reconnectPlan({ attempt: 0, resyncsInARow: 0 }, 1012, HEALTHY_MS, top);
    expect(plan.delayMs).toBeLessThanOrEqual(1000);
    expect(plan).toMatchObject({ attempt: 0, resyncsInARow: 1, catchingUp: true });
  });

  it("backs off when 1012s keep coming before the connection was healthy", () => {
    const first = reconnectPlan(fresh, 1012, 5_000, top);
    const second = reconnectPlan(first, 1012, 5_000, top);
    const third = reconnectPlan(second, 1012, 5_000, top);
    expect([second.delayMs, third.delayMs]).toEqual([1000, 2000]);
    // A healthy stretch forgets them.
    expect(reconnectPlan(third, 1012, HEALTHY_MS, top).resyncsInARow).toBe(1);
  });
});
