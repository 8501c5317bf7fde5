import { expect, it } from "vitest";
import { policyLevels } from "./levels";

it("groups every level under its policy, levels in order, an empty level as nobody", () => {
  const policies = policyLevels({
    onCallByPolicy: [
      { policyId: "3", policyName: "Ops", level: 2, users: [{ id: "9", name: "Carol" }] },
      { policyId: "4", policyName: "Web", level: 1, users: [] },
      { policyId: "3", policyName: "Ops", level: 1, users: [{ id: "7", name: "Alice" }, { id: "8", name: "Bob" }] },
    ],
  });
  expect(policies).toEqual([
    { id: "3", name: "Ops", levels: [{ level: 1, who: "Alice, Bob" }, { level: 2, who: "Carol" }] },
    { id: "4", name: "Web", levels: [{ level: 1, who: "nobody" }] },
  ]);
});
