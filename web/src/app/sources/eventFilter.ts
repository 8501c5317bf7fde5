// The event filter as a form: a list of tests joined by "all of" (and) or "any of" (or), each
// test possibly negated. The form builds the JSON the server keeps (docs/concepts/sources.md,
// "Event filter") and reads it back when it has that shape; a filter the form cannot show
// (nested and/or, say) stays editable as JSON. The server's errors name a JSON path
// ("$.and[1].op"), which `errorTarget` turns back into the form's row and input.

export const FILTER_OPS = ["eq", "ne", "contains", "regex", "in", "exists"] as const;
export type FilterOp = (typeof FILTER_OPS)[number];

export const OP_LABELS: Record<FilterOp, string> = {
  eq: "is",
  ne: "is not",
  contains: "contains",
  regex: "matches the pattern",
  in: "is one of",
  exists: "is present",
};

/** The fields a test can read; `labels.<name>` and `customDetails.<path>` are typed out. */
export const FILTER_FIELDS = ["summary", "details", "priority", "alertKey", "eventType", "routingKey", "source", "labels.", "customDetails."] as const;

export interface FilterTest {
  field: string;
  op: FilterOp;
  /** As typed; for `in`, values separated by commas. */
  value: string;
  ignoreCase: boolean;
  /** Wrapped in {"not": ...}. */
  negate: boolean;
}

export interface FilterForm {
  join: "and" | "or";
  tests: FilterTest[];
}

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function emptyTest(): FilterTest {
  return { field: "summary", op: "contains", value: "", ignoreCase: false, negate: false };
}

function testJson(test: FilterTest): Json {
  const made: { [key: string]: Json } = { field: test.field.trim(), op: test.op };
  if (test.op === "in") {
    made["value"] = test.value
      .split(",")
      .map((part) => part.trim())
      .filter((part) => part !== "");
  } else if (test.op !== "exists") {
    made["value"] = test.value;
  }
  if (test.ignoreCase) made["ignoreCase"] = true;
  return test.negate ? { not: made } : made;
}

/** The JSON the form stands for: null (every event kept) without tests, the test itself for one,
 * {"and"|"or": [...]} for more. */
export function filterToJson(form: FilterForm): Json {
  if (form.tests.length === 0) return null;
  const tests = form.tests.map(testJson);
  if (tests.length === 1) return tests[0] ?? null;
  return { [form.join]: tests };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function scalarText(value: unknown): string | null {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return null;
}

function testFromJson(raw: unknown): FilterTest | null {
  if (!isObject(raw)) return null;
  let negate = false;
  let test: Record<string, unknown> = raw;
  if ("not" in raw) {
    if (Object.keys(raw).length !== 1 || !isObject(raw["not"])) return null;
    negate = true;
    test = raw["not"];
  }
  const keys = Object.keys(test);
  if (keys.some((key) => !["field", "op", "value", "ignoreCase"].includes(key))) return null;
  const { field, op, value, ignoreCase } = test;
  if (typeof field !== "string" || !(FILTER_OPS as readonly unknown[]).includes(op)) return null;
  if (ignoreCase !== undefined && typeof ignoreCase !== "boolean") return null;
  let text = "";
  if (op === "in") {
    // Values with commas cannot be told apart from the separator: left to the JSON.
    if (!Array.isArray(value)) return null;
    const parts = value.map(scalarText);
    if (parts.some((part) => part === null || part.includes(","))) return null;
    text = parts.join(", ");
  } else if (op !== "exists") {
    // Numbers and booleans would come back as strings: left to the JSON.
    if (typeof value !== "string") return null;
    text = value;
  } else if (value !== undefined) {
    return null;
  }
  return { field, op: op as FilterOp, value: text, ignoreCase: ignoreCase === true, negate };
}

/** The form for a stored filter, or null when the form cannot show it as it is. */
export function filterFromJson(raw: unknown): FilterForm | null {
  if (raw === null || raw === undefined) return { join: "and", tests: [] };
  if (isObject(raw)) {
    for (const join of ["and", "or"] as const) {
      if (join in raw) {
        const list = raw[join];
        if (Object.keys(raw).length !== 1 || !Array.isArray(list) || list.length === 0) return null;
        const tests = list.map(testFromJson);
        if (tests.some((test) => test === null)) return null;
        return { join, tests: tests as FilterTest[] };
      }
    }
  }
  const one = testFromJson(raw);
  return one ? { join: "and", tests: [one] } : null;
}

/** Where the server's error points in the form: the row (test) and its input, from a JSON path
 * such as "$.and[1].op", "$.not.value" or "$.field". `part` is "test" when the path names the
 * test as a whole, null when the path is not one the form has (the JSON is then the place). */
export function errorTarget(path: string, form: FilterForm): { row: number; part: "field" | "op" | "value" | "ignoreCase" | "test" } | null {
  const several = form.tests.length > 1;
  const found = several ? /^\$\.(?:and|or)\[(\d+)\](.*)$/.exec(path) : /^\$()(.*)$/.exec(path);
  if (!found) return null;
  const row = several ? Number(found[1]) : 0;
  const test = form.tests[row];
  if (!test) return null;
  let rest = found[2] ?? "";
  if (test.negate) {
    if (!rest.startsWith(".not")) return rest === "" ? { row, part: "test" } : null;
    rest = rest.slice(".not".length);
  }
  if (rest === "") return { row, part: "test" };
  const part = rest.slice(1);
  if (part === "field" || part === "op" || part === "value" || part === "ignoreCase") return { row, part };
  return null;
}

/** The JSON path in an event-filter error message ("eventFilter $.and[1].op: must be one of …"),
 * and the message without it. */
export function filterErrorPath(message: string): { path: string; text: string } | null {
  const found = /(\$(?:\.[A-Za-z]+|\[\d+\])*):\s*(.*)$/s.exec(message);
  if (!found?.[1]) return null;
  return { path: found[1], text: found[2] ?? "" };
}
