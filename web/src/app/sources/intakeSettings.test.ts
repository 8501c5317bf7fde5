import { describe, expect, it } from "vitest";
import { intakeErrorTarget, intakeFormFromJson, intakeToJson } from "./intakeSettings";

describe("the intake settings form", () => {
  it("reads the defaults when nothing is stored, and saves nothing set as null", () => {
    const form = intakeFormFromJson(null);
    expect(form.email).toEqual({ keyPattern: "", keyFrom: "SUBJECT", resolvePatterns: "", allowedSenders: "" });
    expect(form.pagerduty).toEqual({ critical: "HIGH", error: "HIGH", warning: "LOW", info: "LOW" });
    expect(form.opsgenie).toEqual({ P1: "HIGH", P2: "HIGH", P3: "LOW", P4: "LOW", P5: "LOW" });
    expect(intakeToJson(form, "email", null)).toBeNull();
  });

  it("saves one entry a line, blank lines left out, senders trimmed, patterns as typed", () => {
    const form = intakeFormFromJson(null);
    form.email = { keyPattern: "ticket #(\\d+)", keyFrom: "BODY", resolvePatterns: "RESOLVED\n\n status: ok \n", allowedSenders: " ops@example.com\r\n@monitoring.example.com\n" };
    expect(intakeToJson(form, "email", null)).toEqual({
      email: { alertKeyPattern: "ticket #(\\d+)", alertKeyFrom: "BODY", resolvePatterns: ["RESOLVED", " status: ok "], allowedSenders: ["ops@example.com", "@monitoring.example.com"] },
    });
  });

  it("replaces only its own part of what is stored", () => {
    const stored = { email: { resolvePatterns: ["ok"] }, opsgeniePriorities: { P3: "HIGH" } };
    const form = intakeFormFromJson(stored);
    expect(form.opsgenie.P3).toBe("HIGH");
    expect(form.email.resolvePatterns).toBe("ok");
    form.pagerduty.warning = "HIGH";
    expect(intakeToJson(form, "pagerdutySeverities", stored)).toEqual({
      ...stored,
      pagerdutySeverities: { critical: "HIGH", error: "HIGH", warning: "HIGH", info: "LOW" },
    });
    form.email.resolvePatterns = "";
    expect(intakeToJson(form, "email", stored)).toEqual({ opsgeniePriorities: { P3: "HIGH" } });
  });

  it("shows a refusal beside the input its path names, a list entry by its line", () => {
    const form = intakeFormFromJson(null);
    form.email.resolvePatterns = "RESOLVED\n\n(unclosed";
    const field = "intakeSettings.email.resolvePatterns[1]";
    expect(intakeErrorTarget(field, `${field} is not a valid regular expression (missing ))`, form)).toEqual({
      input: "resolvePatterns",
      text: "Line 3 is not a valid regular expression (missing ))",
    });
    expect(intakeErrorTarget("input.intakeSettings.email.alertKeyPattern", "intakeSettings.email.alertKeyPattern must be a regular expression", form)).toEqual({
      input: "keyPattern",
      text: "The pattern must be a regular expression",
    });
    expect(intakeErrorTarget("intakeSettings.opsgeniePriorities.P2", "intakeSettings.opsgeniePriorities.P2 must be HIGH or LOW", form)).toEqual({
      input: "opsgenie.P2",
      text: "P2 must be HIGH or LOW",
    });
    expect(intakeErrorTarget("intakeSettings.pagerdutySeverities.fatal", "no", form)).toBeNull();
    expect(intakeErrorTarget(null, "Could not save", form)).toBeNull();
  });
});
