// Web Push on this browser: turning it on asks for permission, subscribes with the server's
// VAPID key and registers the subscription as a device; turning it off unregisters the device
// and unsubscribes. The service worker (sw.ts) shows what arrives.
import type { Client } from "@urql/core";
import { RegisterWebPushDocument, UnregisterWebPushDocument, WebPushKeyDocument } from "../gql/graphql";
import { errorText } from "../app/shell/errors";
import { base64UrlBytes, sameKey } from "./base64url";
import { activeRegistration } from "./register";

export type PushState = "unsupported" | "blocked" | "off" | "on";

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

export async function turnOnPush(client: Client): Promise<void> {
  if (!pushSupported()) throw new PushError("This browser cannot receive push notifications");
  const permission = await Notification.requestPermission();
  if (permission !== "granted") throw new PushError("Notifications are not allowed for this site: allow them in the browser's site settings");
  const registration = await activeRegistration();
  if (!registration) throw new PushError("The app's service worker is not running in this browser");
  const keyAnswer = await client.query(WebPushKeyDocument, {}).toPromise();
  if (!keyAnswer.data) throw new PushError(`Could not get the server's push key: ${keyAnswer.error ? errorText(keyAnswer.error) : "no answer"}`);
  const key = base64UrlBytes(keyAnswer.data.webPushPublicKey);

  let subscription = await registration.pushManager.getSubscription();
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
    await subscription.unsubscribe();
    throw new PushError(`The server did not register this browser: ${errorText(registered.error)}`);
  }
}

/** Unregisters this browser's device and unsubscribes; a no-op when push is off. Also run at
 * sign-out, so the next person on this browser gets nobody else's pages. */
export async function turnOffPush(client: Client): Promise<void> {
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration("/");
  const subscription = await registration?.pushManager.getSubscription();
  if (!subscription) return;
  const answer = await client.mutation(UnregisterWebPushDocument, { endpoint: subscription.endpoint }).toPromise();
  await subscription.unsubscribe();
  if (answer.error) throw new PushError(`Push is off in this browser, but the server could not remove the device: ${errorText(answer.error)}`);
}
