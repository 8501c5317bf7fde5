import { CombinedError } from "@urql/core";
import { GraphQLError } from "graphql";
import { describe, expect, it } from "vitest";
import { placeError } from "./fieldErrors";

function refused(message: string, extensions: Record<string, unknown>): CombinedError {
  return new CombinedError({ graphQLErrors: [new GraphQLError(message, { extensions })] });
}

describe("placeError", () => {
  it("puts a message beside the field the server names", () => {
    expect(placeError(refused("Not a time zone", { code: "BAD_USER_INPUT", field: "timezone" }), ["email", "timezone"])).toEqual({
      field: "timezone",
      text: "Not a time zone",
    });
  });

  it("places a nested name under the form field it starts with", () => {
    const error = refused("1..1440", { code: "BAD_USER_INPUT", field: "rules.1.escalationTimeout" });
    expect(placeError(error, ["name", "rules"])).toEqual({ field: "rules", text: "1..1440" });
    expect(placeError(error, ["name", "rules", "rules.1"])).toEqual({ field: "rules.1", text: "1..1440" });
    expect(placeError(refused("x", { field: "rules[0]" }), ["rules.0"])).toEqual({ field: "rules.0", text: "x" });
  });

  it("leaves errors it cannot place to the form's result line", () => {
    expect(placeError(refused("Taken", { code: "CONFLICT" }), ["email"])).toEqual({ field: null, text: "Taken" });
    expect(placeError(refused("Odd", { code: "BAD_USER_INPUT", field: "other" }), ["email"])).toEqual({ field: null, text: "Odd" });
    expect(placeError(new CombinedError({ networkError: new Error("offline") }), ["email"]).field).toBeNull();
  });
});
