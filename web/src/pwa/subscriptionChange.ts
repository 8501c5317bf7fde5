// The browser replaced or dropped this worker's push subscription (`pushsubscriptionchange`:
// the push service rotated it, or it expired). The worker subscribes again at once with the key
// the old subscription was made with (the server's VAPID key), but it does not tell the server:
// that needs the session, and the worker is given no secret to keep (a token in the worker's
// storage would be one more place to steal it from, and one able to move the user's pages to
// another endpoint). Instead it asks every open window of the app to register the new
// subscription now; with no window open, the page does it the next time the app opens
// (pushSync.ts compares the subscription with the one it last registered). Until then pages to
// the old endpoint fail and the server drops it (404/410): the user's other rules still run.
//
// Pure apart from what it is handed, so Vitest runs it with stand-ins for the browser's objects;
// only the worker imports it (inlined into sw.js).

/** What the worker posts to open windows: "register this browser's push subscription again". */
export interface PushChangedMessage {
  type: "pagerline:push-changed";
}

// The page reads it with pushSync.ts's isPushChangedMessage, importing only the type from here:
// a value shared by the page and the worker would be split into a chunk the worker (a classic
// script) cannot import.
export const PUSH_CHANGED: PushChangedMessage = { type: "pagerline:push-changed" };

export interface Subscriber {
  subscribe(options: PushSubscriptionOptionsInit): Promise<unknown>;
}

export interface Windows {
  matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<readonly { postMessage(message: unknown): void }[]>;
}

/** What the event carries (Firefox gives both; other browsers may give neither). */
export interface SubscriptionChange {
  oldKey: ArrayBuffer | null;
  /** The browser subscribed again by itself. */
  renewed: boolean;
}

export type ChangeOutcome = "renewed by the browser" | "subscribed again" | "no key to subscribe with" | "subscribe refused";

export async function renewSubscription(change: SubscriptionChange, pushManager: Subscriber, windows: Windows): Promise<ChangeOutcome> {
  let outcome: ChangeOutcome = "renewed by the browser";
  if (!change.renewed) {
    if (change.oldKey === null) outcome = "no key to subscribe with";
    else {
      try {
        await pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: change.oldKey });
        outcome = "subscribed again";
      } catch {
        outcome = "subscribe refused"; // the page subscribes when it next syncs (with the server's current key)
      }
    }
  }
  // Whatever happened here, an open page compares and registers (or subscribes itself).
  for (const window of await windows.matchAll({ type: "window", includeUncontrolled: true })) window.postMessage(PUSH_CHANGED);
  return outcome;
}
