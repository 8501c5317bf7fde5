import { describe, expect, it } from "vitest";
import { messageFor, unplacedMessage } from "./fieldError";

describe("a refusal placed beside its field", () => {
  const window = { field: "restrictions[1].startTime", message: "restrictions[1]: the start time must be HH:MM" };
  it("goes to the field it names or the list the field is part of", () => {
    expect(messageFor(window, "restrictions", "layer.restrictions")).toBe(window.message);
    expect(messageFor(window, "rotation")).toBeNull();
    expect(messageFor({ field: "rotation", message: "bad" }, "rotation")).toBe("bad");
    expect(messageFor({ field: "rotationX", message: "bad" }, "rotation")).toBeNull();
  });
  it("goes under the form when no field of it is named", () => {
    expect(unplacedMessage(window, ["restrictions"])).toBeNull();
    expect(unplacedMessage(window, ["rotation"])).toBe(window.message);
    expect(unplacedMessage({ field: null, message: "User not found" }, ["rotation"])).toBe("User not found");
    expect(unplacedMessage(null, ["rotation"])).toBeNull();
  });
});
