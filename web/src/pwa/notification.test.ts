import { describe, expect, it } from "vitest";
import { actionResult, alertUrl, notificationFor } from "./notification";
import { appPath } from "./openMessage";

const ORIGIN = "https://pagerline.example.com";

// As docs/mobile.md shows a HIGH page (generated from what the server really sends).
const page = {
  title: "[HIGH] Checkout latency above 2 s",
  body: "#1 from Checkout API: Checkout latency above 2 s",
  tag: "alert-1",
  url: `${ORIGIN}/#/alerts/1`,
  requireInteraction: true,
  actions: [
    { action: "accept", title: "Accept" },
    { action: "resolve", title: "Resolve" },
  ],
  data: { kind: "PAGE", alert_id: "1", priority: "HIGH", action_token: "tok", url: `${ORIGIN}/#/alerts/1` },
};

describe("notificationFor", () => {
  it("shows a page with its buttons, kept until answered", () => {
    const shown = notificationFor(page, ORIGIN);
    expect(shown.title).toBe(page.title);
    expect(shown.options.requireInteraction).toBe(true);
    expect(shown.options.actions.map((a) => a.action)).toEqual(["accept", "resolve"]);
    expect(shown.options.data).toEqual({ url: `${ORIGIN}/#/alerts/1`, alertId: "1", actionToken: "tok" });
    expect(shown.options.tag).toBe("alert-1");
  });

  it("has no buttons without an action token, and drops actions it does not know", () => {
    const update = { ...page, requireInteraction: false, data: { ...page.data, kind: "UPDATE", action_token: undefined } };
    expect(notificationFor(update, ORIGIN).options.actions).toEqual([]);
    const odd = { ...page, actions: [{ action: "delete-everything", title: "x" }, { action: "accept", title: "Accept" }] };
    expect(notificationFor(odd, ORIGIN).options.actions).toEqual([{ action: "accept", title: "Accept" }]);
  });

  it("keeps a HIGH page on screen even if the flag is missing, but not a LOW one", () => {
    expect(notificationFor({ ...page, requireInteraction: undefined }, ORIGIN).options.requireInteraction).toBe(true);
    const low = { ...page, requireInteraction: undefined, data: { ...page.data, priority: "LOW" } };
    expect(notificationFor(low, ORIGIN).options.requireInteraction).toBe(false);
  });

  it("survives a payload that is not an object", () => {
    const shown = notificationFor("garbage", ORIGIN);
    expect(shown.title).toBe("pagerline");
    expect(shown.options.actions).toEqual([]);
    expect(shown.options.data.url).toBe(`${ORIGIN}/`);
  });
});

describe("alertUrl", () => {
  it("opens only addresses of this app", () => {
    expect(alertUrl(`${ORIGIN}/alerts/7`, "7", ORIGIN)).toBe(`${ORIGIN}/alerts/7`);
    expect(alertUrl("https://evil.example/alerts/7", "7", ORIGIN)).toBe(`${ORIGIN}/alerts/7`);
    expect(alertUrl("javascript:alert(1)", null, ORIGIN)).toBe(`${ORIGIN}/`);
    expect(alertUrl("", "../x", ORIGIN)).toBe(`${ORIGIN}/`);
  });
});

describe("actionResult", () => {
  it("says what happened, or why not", () => {
    expect(actionResult("accept", "3", 200, { alertId: "3", status: "ACCEPTED" })).toEqual({ title: "Accepted #3", body: "Status: ACCEPTED" });
    const used = actionResult("resolve", "3", 409, { status: 409, message: "This action token was used already", code: "ACTION_TOKEN_USED" });
    expect(used.title).toBe("Could not resolve #3");
    expect(used.body).toContain("This action token was used already");
    expect(actionResult("accept", null, 0, { message: "No connection to pagerline" }).body).toContain("No connection");
  });
});

describe("appPath", () => {
  it("turns a notification's address into the app's own, old hash links included", () => {
    expect(appPath(`${ORIGIN}/#/alerts/1`, ORIGIN)).toBe("/alerts/1");
    expect(appPath(`${ORIGIN}/alerts/2?x=1`, ORIGIN)).toBe("/alerts/2?x=1");
    expect(appPath("https://evil.example/alerts/1", ORIGIN)).toBeNull();
  });
});
