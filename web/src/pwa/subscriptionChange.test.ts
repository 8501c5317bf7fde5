import { expect, it } from "vitest";
import { isPushChangedMessage } from "./pushSync";
import { PUSH_CHANGED, renewSubscription, type Subscriber, type Windows } from "./subscriptionChange";

// Stand-ins for the browser's PushManager and Clients: they record what the worker asked of them.
function browser(refuse = false) {
  const subscribed: PushSubscriptionOptionsInit[] = [];
  const posted: unknown[][] = [[], []];
  const pushManager: Subscriber = {
    subscribe: async (options) => {
      if (refuse) throw new DOMException("no push service", "AbortError");
      subscribed.push(options);
      return {};
    },
  };
  const windows: Windows = { matchAll: async () => posted.map((inbox) => ({ postMessage: (message: unknown) => inbox.push(message) })) };
  return { pushManager, windows, subscribed, posted };
}

const KEY = new Uint8Array([4, 1, 2, 3]).buffer;

it("subscribes again with the old subscription's key and asks every open window to register it", async () => {
  const b = browser();
  expect(await renewSubscription({ oldKey: KEY, renewed: false }, b.pushManager, b.windows)).toBe("subscribed again");
  expect(b.subscribed).toEqual([{ userVisibleOnly: true, applicationServerKey: KEY }]);
  expect(b.posted).toEqual([[PUSH_CHANGED], [PUSH_CHANGED]]);
});

it("leaves a subscription the browser renewed itself, and still asks the windows to register it", async () => {
  const b = browser();
  expect(await renewSubscription({ oldKey: KEY, renewed: true }, b.pushManager, b.windows)).toBe("renewed by the browser");
  expect(b.subscribed).toEqual([]);
  expect(b.posted).toEqual([[PUSH_CHANGED], [PUSH_CHANGED]]);
});

it("without a key, or refused by the push service, leaves subscribing to the page", async () => {
  const keyless = browser();
  expect(await renewSubscription({ oldKey: null, renewed: false }, keyless.pushManager, keyless.windows)).toBe("no key to subscribe with");
  expect(keyless.subscribed).toEqual([]);
  const refused = browser(true);
  expect(await renewSubscription({ oldKey: KEY, renewed: false }, refused.pushManager, refused.windows)).toBe("subscribe refused");
  expect(refused.posted).toEqual([[PUSH_CHANGED], [PUSH_CHANGED]]);
});

it("posts what the page recognises, and the page recognises nothing else", () => {
  expect(isPushChangedMessage(PUSH_CHANGED)).toBe(true);
  expect(isPushChangedMessage({ type: "pagerline:open", url: "/" })).toBe(false);
  expect(isPushChangedMessage(null)).toBe(false);
});
