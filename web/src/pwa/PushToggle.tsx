// "Push on this device": one switch, for the shell's header and for the Me screen. It says why
// when push cannot be had here (unsupported browser, notifications blocked, not installed on
// an iPhone) instead of failing silently. It also keeps the server's record of this browser's
// subscription right (syncPush) at every (re)connection and when the worker says the browser
// replaced the subscription.
import { useCallback, useEffect, useState } from "react";
import { useShell } from "../app/shell/context";
import { useRefetchOnConnect } from "../app/shell/useRefetchOnConnect";
import { currentPushState, PushError, syncPush, turnOffPush, turnOnPush, type PushState } from "./push";
import { isPushChangedMessage } from "./pushSync";
import "./pwa.css";

const STATE_TEXT: Record<PushState, string> = {
  unsupported: "Not available in this browser (on an iPhone, add the app to the home screen first)",
  blocked: "Blocked in the browser's site settings",
  off: "Off",
  on: "On",
};

export function PushToggle() {
  const { session, showMessage } = useShell();
  const [state, setState] = useState<PushState | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    let current = true;
    void currentPushState().then((found) => current && setState(found));
    return () => {
      current = false;
    };
  }, []);

  const sync = useCallback(() => {
    void syncPush(session.client).then(
      async (done) => {
        if (done !== "none") setState(await currentPushState());
      },
      // Offline or refused: the next connection (or the next change) tries again.
      (error: unknown) => console.warn("pagerline: could not bring the push subscription up to date", error),
    );
  }, [session]);
  useRefetchOnConnect(sync);
  useEffect(() => {
    if (!("serviceWorker" in navigator)) return;
    const heard = (event: MessageEvent) => {
      if (isPushChangedMessage(event.data)) sync();
    };
    navigator.serviceWorker.addEventListener("message", heard);
    return () => navigator.serviceWorker.removeEventListener("message", heard);
  }, [sync]);

  if (state === null) return null;
  const switchable = state === "on" || state === "off";

  const toggle = async () => {
    setBusy(true);
    try {
      if (state === "on") await turnOffPush(session.client);
      else await turnOnPush(session.client);
      showMessage("");
    } catch (error) {
      showMessage(error instanceof PushError ? error.message : `Push: ${String(error)}`);
    }
    setState(await currentPushState());
    setBusy(false);
  };

  return (
    <p className="push-toggle">
      {switchable ? (
        <button type="button" aria-pressed={state === "on"} disabled={busy} onClick={() => void toggle()}>
          Push on this device
        </button>
      ) : (
        <span>Push on this device:</span>
      )}
      <span id="push-state" className="push-state" data-state={state}>
        {busy ? "…" : STATE_TEXT[state]}
      </span>
    </p>
  );
}
