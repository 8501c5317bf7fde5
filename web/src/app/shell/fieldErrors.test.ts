import { CombinedError } from "@urql/core";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { fieldError, messageFor, unclaimed } from "./fieldErrors";

function refused(message: string, extensions: Record<string, unknown>): CombinedError {
  return new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });
}

describe("a refusal beside its field", () => {
  it("takes the field the server names", () => {
    const error = fieldError(refused("end must be after start", { code: "BAD_USER_INPUT", field: "end" }));
    expect(error).toEqual({ field: "end", message: "end must be after start" });
    expect(messageFor(error, "end")).toBe("end must be after start");
    expect(messageFor(error, "start")).toBe("");
    expect(unclaimed(error, ["start", "end"])).toBe("");
    expect(unclaimed(error, ["summary"])).toBe("end must be after start");
  });

  it("matches nested fields and input.<name> to their input", () => {
    const row = fieldError(refused("weekly[1].end: '25:00' is not a time of day", { field: "weekly[1].end" }));
    expect(messageFor(row, "weekly[1]")).not.toBe("");
    expect(messageFor(row, "weekly[0]")).toBe("");
    expect(messageFor(row, "weekly")).not.toBe("");
    const input = fieldError(refused("bad", { field: "input.eventFilter.and[0].op" }));
    expect(messageFor(input, "eventFilter")).toBe("bad");
    expect(messageFor(input, "event")).toBe(""); // a prefix of the name is not the field
  });

  it("falls back on the name a message starts with, and on nothing", () => {
    const named = fieldError(refused("alertGroupingWindowSec must be between 120 and 86400 seconds", { code: "BAD_USER_INPUT" }), ["alertGroupingWindowSec"]);
    expect(named.field).toBe("alertGroupingWindowSec");
    const none = fieldError(refused("Not allowed", { code: "FORBIDDEN" }), ["alertGroupingWindowSec"]);
    expect(none.field).toBeNull();
    expect(messageFor(none, "alertGroupingWindowSec")).toBe("");
    expect(unclaimed(none, ["alertGroupingWindowSec"])).toBe("Not allowed");
    expect(unclaimed(null, ["x"])).toBe("");
  });
});

describe("a refusal naming a part of a field", () => {
  const window = { field: "restrictions[1].startTime", message: "restrictions[1]: the start time must be HH:MM" };
  it("goes to the field it names or the list the field is part of", () => {
    expect(messageFor(window, "restrictions", "layer.restrictions")).toBe(window.message);
    expect(messageFor(window, "rotation")).toBe("");
    expect(messageFor({ field: "rotation", message: "bad" }, "rotation")).toBe("bad");
    expect(messageFor({ field: "rotationX", message: "bad" }, "rotation")).toBe("");
  });
  it("goes under the form when no field of it is named", () => {
    expect(unclaimed(window, ["restrictions"])).toBe("");
    expect(unclaimed(window, ["rotation"])).toBe(window.message);
    expect(unclaimed({ field: null, message: "User not found" }, ["rotation"])).toBe("User not found");
    expect(unclaimed(null, ["rotation"])).toBe("");
  });
});
