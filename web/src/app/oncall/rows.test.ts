import { expect, it } from "vitest";
import { onCallRows } from "./rows";

it("lists each schedule's person, a gap as nobody, then level 1 of each policy", () => {
  const rows = onCallRows({
    onCall: [
      { schedule: { id: "1", name: "Primary" }, user: { id: "7", name: "Alice" } },
      { schedule: { id: "2", name: "Nights" }, user: null },
    ],
    onCallByPolicy: [
      { policyId: "3", policyName: "Ops", level: 1, users: [{ id: "7", name: "Alice" }, { id: "8", name: "Bob" }] },
      { policyId: "3", policyName: "Ops", level: 2, users: [{ id: "9", name: "Carol" }] },
      { policyId: "4", policyName: "Web", level: 1, users: [] },
    ],
  });
  expect(rows.map((row) => `${row.who} (${row.where})`)).toEqual([
    "Alice (Primary)",
    "nobody (gap) (Nights)",
    "Alice, Bob (Ops, level 1)",
    "nobody (Web, level 1)",
  ]);
});
