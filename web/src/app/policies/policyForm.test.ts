import { describe, expect, it } from "vitest";
import type { AdminPoliciesQuery } from "../../gql/graphql";
import { draftOf, emptyDraft, moveLevel, newLevel, policyVariables, toggled } from "./policyForm";

const policy: AdminPoliciesQuery["escalationPolicies"][number] = {
  id: "3",
  name: "Ops policy",
  repeating: true,
  frequency: 2,
  routingKey: "ops",
  team: { id: "1", name: "Ops" },
  rules: [
    { position: 1, escalationTimeout: 10, users: [{ id: "8", name: "Bob" }], schedules: [] },
    { position: 0, escalationTimeout: 5, users: [], schedules: [{ id: "4", name: "Primary" }] },
  ],
};

describe("policy drafts", () => {
  it("sends back what it was made from, levels in position order", () => {
    expect(policyVariables(draftOf(policy))).toEqual({
      name: "Ops policy",
      rules: [
        { escalationTimeout: 5, userIds: [], scheduleIds: ["4"] },
        { escalationTimeout: 10, userIds: ["8"], scheduleIds: [] },
      ],
      teamId: "1",
      repeating: true,
      frequency: 2,
      routingKey: "ops",
    });
  });

  it("sends an empty routing key and no team as null, and trims the name", () => {
    const draft = { ...emptyDraft(), name: "  Night  ", routingKey: "  " };
    expect(policyVariables(draft)).toMatchObject({ name: "Night", teamId: null, routingKey: null, frequency: 1 });
  });

  it("sends what it cannot read as a number as 0, for the server to refuse beside the field", () => {
    const draft = { ...emptyDraft(), frequency: "", levels: [{ ...newLevel(), timeout: "soon" }] };
    const sent = policyVariables(draft);
    expect(sent.frequency).toBe(0);
    expect(sent.rules[0]?.escalationTimeout).toBe(0);
  });

  it("moves levels within bounds and keeps their keys", () => {
    const levels = [newLevel("1"), newLevel("2"), newLevel("3")];
    const keys = levels.map((level) => level.key);
    expect(moveLevel(levels, 2, -1).map((level) => level.timeout)).toEqual(["1", "3", "2"]);
    expect(moveLevel(levels, 0, 1).map((level) => level.key)).toEqual([keys[1], keys[0], keys[2]]);
    expect(moveLevel(levels, 0, -1)).toBe(levels);
    expect(moveLevel(levels, 2, 1)).toBe(levels);
  });

  it("toggles ids without duplicates", () => {
    expect(toggled(["1"], "2", true)).toEqual(["1", "2"]);
    expect(toggled(["1", "2"], "2", true)).toEqual(["1", "2"]);
    expect(toggled(["1", "2"], "1", false)).toEqual(["2"]);
  });
});
