import { describe, expect, it } from "vitest";
import { integrationAddress } from "./integration";

const ORIGIN = "https://pager.example.com";

describe("where a source's events go", () => {
  it("puts the key in the address of Alertmanager, Grafana and webhooks, a placeholder once it is gone", () => {
    expect(integrationAddress("ALERTMANAGER", `${ORIGIN}/`, "k1", null)).toEqual({ label: "Integration URL", address: `${ORIGIN}/api/events/alertmanager/k1`, hint: null });
    expect(integrationAddress("WEBHOOK", ORIGIN, null, null).address).toBe(`${ORIGIN}/api/events/webhook/<integration key>`);
    expect(integrationAddress("API", ORIGIN, "k1", null)).toMatchObject({ address: `${ORIGIN}/api/events`, hint: expect.stringContaining('"integrationKey"') });
  });

  it("makes an email source's address of the key and the server's email domain", () => {
    expect(integrationAddress("EMAIL", ORIGIN, "k1", "alerts.example.com")).toMatchObject({ label: "Email address", address: "k1@alerts.example.com" });
    expect(integrationAddress("EMAIL", ORIGIN, null, "alerts.example.com").address).toBe("<integration key>@alerts.example.com");
    const off = integrationAddress("EMAIL", ORIGIN, "k1", null);
    expect(off.address).toBeNull();
    expect(off.hint).toContain("not set up on this server");
  });

  it("sends PagerDuty events to /v2/enqueue with the key as routing_key", () => {
    const pagerduty = integrationAddress("PAGERDUTY", `${ORIGIN}/`, "k1", null);
    expect(pagerduty.address).toBe(`${ORIGIN}/v2/enqueue`);
    expect(pagerduty.hint).toContain("routing_key");
  });

  it("gives Opsgenie senders the server as the API URL and the key as the API key", () => {
    const opsgenie = integrationAddress("OPSGENIE", ORIGIN, "k1", null);
    expect(opsgenie).toMatchObject({ label: "API URL", address: `${ORIGIN}/` });
    expect(opsgenie.hint).toContain("GenieKey");
    expect(opsgenie.hint).toContain(`${ORIGIN}/v2/alerts`);
    expect(opsgenie.hint).not.toContain("k1");
  });
});
