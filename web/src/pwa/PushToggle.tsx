// "Push on this device": one switch, for the shell's header and for the Me screen. It says why
// when push cannot be had here (unsupported browser, notifications blocked, not installed on
// an iPhone) instead of failing silently.
import { useEffect, useState } from "react";
import { useShell } from "../app/shell/context";
import { currentPushState, PushError, turnOffPush, turnOnPush, type PushState } from "./push";
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
