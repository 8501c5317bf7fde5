import { expect, it } from "vitest";
import type { NotificationMethod, Priority } from "../../gql/graphql";
import { checkRules, newRow, rowsOf, sortRows } from "./rules";

const HIGH = "HIGH" as Priority;
const LOW = "LOW" as Priority;
const m = (name: string) => name as NotificationMethod;

it("orders a priority's rows by delay and turns them into rules", () => {
  const rows = [newRow(m("VOICE"), 10, HIGH), newRow(m("PUSH"), 0, LOW), newRow(m("PUSH"), 0, HIGH)];
  expect(rowsOf(sortRows(rows), HIGH).map((row) => row.method)).toEqual(["PUSH", "VOICE"]);
  expect(rowsOf(rows, HIGH).map((row) => row.method)).toEqual(["VOICE", "PUSH"]); // as edited
  expect(checkRules(rows)).toEqual({
    rules: [
      { method: "VOICE", delayMin: 10, priority: "HIGH" },
      { method: "PUSH", delayMin: 0, priority: "LOW" },
      { method: "PUSH", delayMin: 0, priority: "HIGH" },
    ],
  });
});

it("refuses a delay that is not whole minutes from 0 to 120", () => {
  for (const delay of ["", "-1", "121", "2.5", "soon"]) {
    const row = { ...newRow(m("SMS"), 0, HIGH), delay };
    expect(checkRules([row])).toHaveProperty("problem");
  }
});
