// Muting: hold back alert notifications until a time (date and time in my zone), or unmute.
import { useState } from "react";
import { MuteDocument } from "../../gql/graphql";
import { WhenInputs, type When } from "../coverage/WhenInputs";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { clock, dayTitle, fromInputs, toInputs } from "../oncall/zoned";
import type { MeSectionProps } from "./MePage";

export function MuteSection({ data, timeZone, reload }: MeSectionProps) {
  const { session } = useShell();
  const [until, setUntil] = useState<When>(() => toInputs(Date.now() + 3600_000, timeZone));
  const [result, setResult] = useState("");
  const muted = data.me.mutedUntil && Date.parse(data.me.mutedUntil) > Date.now() ? Date.parse(data.me.mutedUntil) : null;

  const mute = async (at: number | null) => {
    const answer = await session.client.mutation(MuteDocument, { until: at === null ? null : new Date(at).toISOString() }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    setResult(at === null ? "Unmuted." : "Muted.");
    reload();
  };
  const muteUntilChosen = () => {
    const at = fromInputs(until.date, until.time, timeZone);
    if (at === null) return setResult("Give a date and a time.");
    if (at <= Date.now()) return setResult("Pick a time in the future.");
    void mute(at);
  };

  return (
    <section aria-labelledby="mute-title" className="card me-section">
      <h3 id="mute-title">Mute</h3>
      <p id="mute-state">
        {muted ? `Muted until ${dayTitle(muted, timeZone)} ${clock(muted, timeZone)}: alert notifications are held back.` : "Not muted."}
      </p>
      <div className="coverage-form">
        <WhenInputs id="mute-until" label="Mute until" value={until} onChange={setUntil} />
        <button type="button" onClick={muteUntilChosen}>
          Mute
        </button>
        {muted && (
          <button type="button" onClick={() => mute(null)}>
            Unmute
          </button>
        )}
      </div>
      <p id="mute-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
