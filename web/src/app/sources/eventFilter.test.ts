import { describe, expect, it } from "vitest";
import { emptyTest, errorTarget, filterErrorPath, filterFromJson, filterToJson, type FilterForm } from "./eventFilter";

const production: FilterForm = {
  join: "and",
  tests: [
    { field: "labels.env", op: "eq", value: "production", ignoreCase: false, negate: false },
    { field: "summary", op: "contains", value: "test-host", ignoreCase: true, negate: true },
  ],
};

describe("the event filter form", () => {
  it("builds the documented example and reads it back", () => {
    const json = filterToJson(production);
    expect(json).toEqual({
      and: [
        { field: "labels.env", op: "eq", value: "production" },
        { not: { field: "summary", op: "contains", value: "test-host", ignoreCase: true } },
      ],
    });
    expect(filterFromJson(JSON.parse(JSON.stringify(json)))).toEqual(production);
  });

  it("keeps every event without tests, and writes one test alone", () => {
    expect(filterToJson({ join: "or", tests: [] })).toBeNull();
    expect(filterFromJson(null)).toEqual({ join: "and", tests: [] });
    const one: FilterForm = { join: "and", tests: [{ ...emptyTest(), field: "priority", op: "eq", value: "HIGH" }] };
    expect(filterToJson(one)).toEqual({ field: "priority", op: "eq", value: "HIGH" });
    expect(filterFromJson(filterToJson(one))).toEqual(one);
  });

  it("writes lists for 'is one of' and no value for 'is present'", () => {
    const form: FilterForm = {
      join: "or",
      tests: [
        { field: "labels.team", op: "in", value: "db, web ,, api", ignoreCase: false, negate: false },
        { field: "customDetails.host", op: "exists", value: "ignored", ignoreCase: false, negate: false },
      ],
    };
    expect(filterToJson(form)).toEqual({
      or: [
        { field: "labels.team", op: "in", value: ["db", "web", "api"] },
        { field: "customDetails.host", op: "exists" },
      ],
    });
    expect(filterFromJson(filterToJson(form))?.tests.map((t) => t.value)).toEqual(["db, web, api", ""]);
  });

  it("leaves to the JSON what the form cannot show as it is", () => {
    expect(filterFromJson({ and: [{ or: [{ field: "summary", op: "eq", value: "x" }] }] })).toBeNull();
    expect(filterFromJson({ field: "priority", op: "eq", value: 3 })).toBeNull(); // would come back as "3"
    expect(filterFromJson({ field: "labels.a", op: "in", value: ["a,b"] })).toBeNull();
    expect(filterFromJson({ and: [] })).toBeNull();
    expect(filterFromJson({ field: "summary", op: "like", value: "x" })).toBeNull();
    expect(filterFromJson({ field: "summary", op: "eq", value: "x", extra: 1 })).toBeNull();
    expect(filterFromJson([1])).toBeNull();
  });
});

describe("the server's errors in the form", () => {
  it("finds the path in the message", () => {
    expect(filterErrorPath("eventFilter $.and[1].op: must be one of eq, ne")).toEqual({ path: "$.and[1].op", text: "must be one of eq, ne" });
    expect(filterErrorPath("eventFilter $: a condition must be an object")).toEqual({ path: "$", text: "a condition must be an object" });
    expect(filterErrorPath("grouping window too long")).toBeNull();
  });

  it("points at the row and input the path names", () => {
    expect(errorTarget("$.and[1].value", production)).toBeNull(); // row 1 is negated: its value is at .not.value
    expect(errorTarget("$.and[1].not.value", production)).toEqual({ row: 1, part: "value" });
    expect(errorTarget("$.and[0].field", production)).toEqual({ row: 0, part: "field" });
    expect(errorTarget("$.and[0].op", production)).toEqual({ row: 0, part: "op" });
    expect(errorTarget("$.and[7].op", production)).toBeNull();
    const single: FilterForm = { join: "and", tests: [emptyTest()] };
    expect(errorTarget("$.value", single)).toEqual({ row: 0, part: "value" });
    expect(errorTarget("$", single)).toEqual({ row: 0, part: "test" });
    expect(errorTarget("$.and[0].op", single)).toBeNull();
  });
});
