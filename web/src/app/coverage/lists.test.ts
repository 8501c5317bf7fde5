import { expect, it } from "vitest";
import type { CoverageItemFragment } from "../../gql/graphql";
import { inbox, myRequests, partProblem } from "./lists";

const request = (id: string, part: Partial<CoverageItemFragment>): CoverageItemFragment => ({
  id,
  start: "2026-12-10T09:00:00Z",
  end: "2026-12-10T17:00:00Z",
  message: "",
  status: "PENDING",
  requesterId: "1",
  recipientIds: ["2", "3"],
  declinedIds: [],
  acceptedById: null,
  ...part,
});

it("puts in my inbox only pending requests asking me that I have not declined, soonest first", () => {
  const all = [
    request("a", { start: "2026-12-11T09:00:00Z" }),
    request("b", {}),
    request("c", { declinedIds: ["2"] }),
    request("d", { status: "ACCEPTED" }),
    request("e", { recipientIds: ["3"] }),
    request("f", { requesterId: "2", recipientIds: ["3"] }),
  ];
  expect(inbox(all, "2").map((r) => r.id)).toEqual(["b", "a"]);
  expect(myRequests(all, "2").map((r) => r.id)).toEqual(["f"]);
  expect(myRequests(all, "1").map((r) => r.id)).toEqual(["b", "c", "e", "a", "d"]);
});

it("explains a part that cannot be taken", () => {
  const start = Date.parse("2026-12-10T09:00:00Z");
  const end = Date.parse("2026-12-10T17:00:00Z");
  expect(partProblem(start, end, start, end)).toBe("");
  expect(partProblem(null, end, start, end)).toMatch(/both ends/);
  expect(partProblem(end, start, start, end)).toMatch(/after the start/);
  expect(partProblem(start - 1, end, start, end)).toMatch(/inside/);
});
