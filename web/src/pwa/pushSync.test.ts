import { expect, it } from "vitest";
import { pushSyncPlan } from "./pushSync";

const OLD = "https://push.example/old";
const NEW = "https://push.example/new";

it("registers a subscription the browser rotated, and removes the old one", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: OLD, current: { endpoint: NEW, sameKey: true } })).toEqual({ kind: "register", replaces: OLD });
});

it("does nothing while the registered subscription is the current one", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: OLD, current: { endpoint: OLD, sameKey: true } })).toEqual({ kind: "none" });
});

it("subscribes again when the browser dropped the subscription of a browser that had push on", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: OLD, current: null })).toEqual({ kind: "resubscribe", replaces: OLD });
});

it("never subscribes a browser where push was not turned on", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: null, current: null })).toEqual({ kind: "none" });
  expect(pushSyncPlan({ permission: "default", recorded: null, current: null })).toEqual({ kind: "none" });
});

it("subscribes anew when the server's key changed", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: OLD, current: { endpoint: OLD, sameKey: false } })).toEqual({ kind: "resubscribe", replaces: OLD });
  expect(pushSyncPlan({ permission: "granted", recorded: null, current: { endpoint: OLD, sameKey: false } })).toEqual({ kind: "resubscribe", replaces: OLD });
});

it("registers a subscription made before the page remembered endpoints", () => {
  expect(pushSyncPlan({ permission: "granted", recorded: null, current: { endpoint: NEW, sameKey: true } })).toEqual({ kind: "register", replaces: null });
});

it("forgets the device once notifications are blocked", () => {
  expect(pushSyncPlan({ permission: "denied", recorded: OLD, current: { endpoint: OLD, sameKey: true } })).toEqual({ kind: "forget", endpoint: OLD });
});
