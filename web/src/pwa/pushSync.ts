// Keeping the server's record of this browser's push subscription right, from the page (which
// has the session): at every (re)connection and when the worker says the subscription changed
// (subscriptionChange.ts). The page remembers the endpoint it last registered (localStorage:
// not a secret, the page can read the subscription anyway) and compares. Pure: the plan; the
// steps are carried out in push.ts.
import type { PushChangedMessage } from "./subscriptionChange";

/** The worker's "the browser replaced the push subscription" (see subscriptionChange.ts). */
export const isPushChangedMessage = (value: unknown): value is PushChangedMessage =>
  typeof value === "object" && value !== null && (value as PushChangedMessage).type === ("pagerline:push-changed" satisfies PushChangedMessage["type"]);

export interface PushSyncInput {
  permission: NotificationPermission;
  /** The endpoint this page last registered with the server, if push was turned on here. */
  recorded: string | null;
  /** The browser's subscription now, and whether it was made with the server's current key. */
  current: { endpoint: string; sameKey: boolean } | null;
}

export type PushSyncStep =
  | { kind: "none" }
  /** Notifications are no longer allowed: the server's device is removed, nothing remembered. */
  | { kind: "forget"; endpoint: string }
  /** Register the current subscription; then remove the replaced device, if any. */
  | { kind: "register"; replaces: string | null }
  /** Subscribe anew with the server's key (dropping a subscription made with another), register. */
  | { kind: "resubscribe"; replaces: string | null };

export function pushSyncPlan({ permission, recorded, current }: PushSyncInput): PushSyncStep {
  if (permission !== "granted") return recorded ? { kind: "forget", endpoint: recorded } : { kind: "none" };
  // Never turned on here (or turned off): a page does not subscribe anyone by itself.
  if (current === null) return recorded ? { kind: "resubscribe", replaces: recorded } : { kind: "none" };
  const replaces = recorded !== null && recorded !== current.endpoint ? recorded : null;
  if (!current.sameKey) return { kind: "resubscribe", replaces: replaces ?? current.endpoint };
  // A subscription the page has not registered: rotated by the browser, or made before the page
  // remembered endpoints (registering is an upsert by endpoint, so doing it again is harmless).
  if (current.endpoint !== recorded) return { kind: "register", replaces };
  return { kind: "none" };
}
