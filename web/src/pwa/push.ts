// Web Push on this browser: turning it on asks for permission, subscribes with the server's
// VAPID key and registers the subscription as a device; turning it off unregisters the device
// and unsubscribes. The service worker (sw.ts) shows what arrives. syncPush keeps the server's
// record right when the browser replaces the subscription (pushSync.ts, subscriptionChange.ts).
import type { Client } from "@urql/core";
import { RegisterWebPushDocument, UnregisterWebPushDocument, WebPushKeyDocument } from "../gql/graphql";
import { errorText } from "../app/shell/errors";
import { base64UrlBytes, sameKey } from "./base64url";
import { pushSyncPlan, type PushSyncStep } from "./pushSync";
import { activeRegistration } from "./register";

export type PushState = "unsupported" | "blocked" | "off" | "on";

/** The endpoint this page last registered with the server (see pushSync.ts). */
export const PUSH_ENDPOINT_KEY = "pagerline.push.endpoint";

export function pushSupported(): boolean {
  return "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
}

export async function currentPushState(): Promise<PushState> {
  if (!pushSupported()) return "unsupported";
  if (Notification.permission === "denied") return "blocked";
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = await registration?.pushManager.getSubscription();
  return subscription && Notification.permission === "granted" ? "on" : "off";
}

export class PushError extends Error {}

async function serverKey(client: Client): Promise<Uint8Array<ArrayBuffer>> {
  const keyAnswer = await client.query(WebPushKeyDocument, {}).toPromise();
  if (!keyAnswer.data) throw new PushError(`Could not get the server's push key: ${keyAnswer.error ? errorText(keyAnswer.error) : "no answer"}`);
  return base64UrlBytes(keyAnswer.data.webPushPublicKey);
}

/** Subscribes (unless `subscription` is one made with `key`) and registers with the server;
 * returns the endpoint registered. A refused registration undoes the subscription when the user
 * just turned push on (`undo`); a sync keeps it and the remembered endpoint, to try again at the
 * next one, rather than turn push off over a passing error. */
async function subscribeAndRegister(
  client: Client,
  registration: ServiceWorkerRegistration,
  key: Uint8Array<ArrayBuffer>,
  subscription: PushSubscription | null,
  undo: boolean,
): Promise<string> {
  if (subscription && !sameKey(subscription.options.applicationServerKey, key)) {
    // Made for another server key: pushes signed with the current one would be refused.
    await subscription.unsubscribe();
    subscription = null;
  }
  try {
    subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  } catch (error) {
    throw new PushError(`The browser's push service refused the subscription (${error instanceof Error ? error.message : String(error)})`);
  }
  const registered = await client.mutation(RegisterWebPushDocument, { subscription: subscription.toJSON() }).toPromise();
  if (registered.error) {
    if (undo) await subscription.unsubscribe();
    throw new PushError(`The server did not register this browser: ${errorText(registered.error)}`);
  }
  localStorage.setItem(PUSH_ENDPOINT_KEY, subscription.endpoint);
  return subscription.endpoint;
}

export async function turnOnPush(client: Client): Promise<void> {
  if (!pushSupported()) throw new PushError("This browser cannot receive push notifications");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new PushError("Notifications are not allowed for this site: allow them in the browser's site settings");
  const registration = await activeRegistration();
  if (!registration) throw new PushError("The app's service worker is not running in this browser");
  const key = await serverKey(client);
  await subscribeAndRegister(client, registration, key, await registration.pushManager.getSubscription(), true);
}

/** Unregisters this browser's device and unsubscribes; a no-op when push is off. Also run at
 * sign-out, so the next person on this browser gets nobody else's pages. */
export async function turnOffPush(client: Client): Promise<void> {
  if (!pushSupported()) return;
  localStorage.removeItem(PUSH_ENDPOINT_KEY);
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return;
  const answer = await client.mutation(UnregisterWebPushDocument, { endpoint: subscription.endpoint }).toPromise();
  await subscription.unsubscribe();
  if (answer.error) throw new PushError(`Push is off in this browser, but the server could not remove the device: ${errorText(answer.error)}`);
}

/** Registers the browser's push subscription again if it is not the one last registered (the
 * browser rotated or dropped it, or the server's key changed); returns what it did. Errors are
 * the caller's to report (or ignore: the next sync tries again). */
export async function syncPush(client: Client): Promise<PushSyncStep["kind"]> {
  if (!pushSupported()) return "none";
  const registration = await navigator.serviceWorker.getRegistration("/");
  if (!registration) return "none";
  const recorded = localStorage.getItem(PUSH_ENDPOINT_KEY);
  const subscription = await registration.pushManager.getSubscription();
  if (!recorded && !subscription) return "none"; // push was never on here: no request at all
  const key = Notification.permission === "granted" && subscription ? await serverKey(client) : null;
  const current = subscription && { endpoint: subscription.endpoint, sameKey: key !== null && sameKey(subscription.options.applicationServerKey, key) };
  const step = pushSyncPlan({ permission: Notification.permission, recorded, current });
  switch (step.kind) {
    case "none":
      break;
    case "forget":
      localStorage.removeItem(PUSH_ENDPOINT_KEY);
      await client.mutation(UnregisterWebPushDocument, { endpoint: step.endpoint }).toPromise();
      break;
    case "register":
    case "resubscribe": {
      // (A subscription made with another key is dropped there before subscribing anew.)
      const endpoint = await subscribeAndRegister(client, registration, key ?? (await serverKey(client)), subscription, false);
      // The replaced endpoint is dead: remove its device now rather than at its first failed page.
      if (step.replaces && step.replaces !== endpoint) await client.mutation(UnregisterWebPushDocument, { endpoint: step.replaces }).toPromise();
      break;
    }
  }
  return step.kind;
}
