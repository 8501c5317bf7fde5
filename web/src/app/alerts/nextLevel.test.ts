import { expect, it } from "vitest";
import { nextLevel } from "./nextLevel";

const policy = (repeating: boolean) => ({
  repeating,
  rules: [
    { position: 2, users: [{ name: "Dana" }], schedules: [] },
    { position: 1, users: [], schedules: [{ name: "Primary", onCall: { name: "Carol" } }, { name: "Backup", onCall: null }] },
  ],
});

it("names the next level's people and who is on call on its schedules", () => {
  expect(nextLevel(policy(false), 0)).toEqual({ level: 1, targets: ["Primary: Carol", "Backup: nobody on call"], repeats: false });
  expect(nextLevel(policy(false), 1)).toEqual({ level: 2, targets: ["Dana"], repeats: false });
});

it("starts again at level 1 only when the policy repeats", () => {
  expect(nextLevel(policy(false), 2)).toBeNull();
  expect(nextLevel(policy(true), 2)).toEqual({ level: 1, targets: ["Primary: Carol", "Backup: nobody on call"], repeats: true });
  expect(nextLevel({ repeating: true, rules: [] }, 1)).toBeNull();
});
