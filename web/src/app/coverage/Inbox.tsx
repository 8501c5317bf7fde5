// Requests addressed to me: accept all, accept a part (date and time inputs in my zone,
// prefilled with the whole window), or decline.
import { useState } from "react";
import { AcceptCoverageDocument, DeclineCoverageDocument, type CoverageItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { fromInputs, toInputs } from "../oncall/zoned";
import type { CoverageData } from "./CoveragePage";
import { partProblem } from "./lists";
import { Stretch } from "./Stretch";
import { WhenInputs, type When } from "./WhenInputs";

export function Inbox({ requests, data, changed }: { requests: readonly CoverageItemFragment[]; data: CoverageData; changed: () => void }) {
  return (
    <section aria-labelledby="inbox-title">
      <h3 id="inbox-title">Asked of me</h3>
      {requests.length === 0 && (
        <p id="inbox-empty" className="empty">
          Nobody is asking you to cover.
        </p>
      )}
      <ul id="coverage-inbox" className="plain-list">
        {requests.map((request) => (
          <InboxItem key={request.id} request={request} data={data} changed={changed} />
        ))}
      </ul>
    </section>
  );
}

function InboxItem({ request, data, changed }: { request: CoverageItemFragment; data: CoverageData; changed: () => void }) {
  const { session } = useShell();
  const [partOpen, setPartOpen] = useState(false);
  const [from, setFrom] = useState<When>(() => toInputs(Date.parse(request.start), data.timeZone));
  const [until, setUntil] = useState<When>(() => toInputs(Date.parse(request.end), data.timeZone));
  const [problem, setProblem] = useState("");
  const [busy, setBusy] = useState(false);
  const who = data.names.get(request.requesterId) ?? `user ${request.requesterId}`;
  const label = `${who}'s request ${request.id}`;

  const run = async (work: () => Promise<{ error?: Parameters<typeof errorText>[0] }>) => {
    setBusy(true);
    const answer = await work();
    setBusy(false);
    if (answer.error) setProblem(errorText(answer.error));
    else changed();
  };
  const acceptAll = () => run(() => session.client.mutation(AcceptCoverageDocument, { id: request.id, start: null, end: null }).toPromise());
  const decline = () => run(() => session.client.mutation(DeclineCoverageDocument, { id: request.id }).toPromise());
  const acceptPart = () => {
    const start = fromInputs(from.date, from.time, data.timeZone);
    const end = fromInputs(until.date, until.time, data.timeZone);
    const wrong = partProblem(start, end, Date.parse(request.start), Date.parse(request.end));
    if (wrong || start === null || end === null) return setProblem(wrong);
    void run(() =>
      session.client.mutation(AcceptCoverageDocument, { id: request.id, start: new Date(start).toISOString(), end: new Date(end).toISOString() }).toPromise(),
    );
  };

  return (
    <li className="coverage-item" data-request-id={request.id}>
      <p>
        <strong>{who}</strong> asks you to cover <Stretch start={request.start} end={request.end} timeZone={data.timeZone} />
        {request.message && <span className="hint"> “{request.message}”</span>}
      </p>
      <div className="alert-actions">
        <button type="button" disabled={busy} onClick={acceptAll} aria-label={`Accept all of ${label}`}>
          Accept all
        </button>
        <button type="button" disabled={busy} aria-expanded={partOpen} onClick={() => setPartOpen(!partOpen)} aria-label={`Accept part of ${label}`}>
          Accept part
        </button>
        <button type="button" disabled={busy} onClick={decline} aria-label={`Decline ${label}`}>
          Decline
        </button>
      </div>
      {partOpen && (
        <div className="coverage-form" role="group" aria-label={`The part of ${label} you take`}>
          <WhenInputs id={`part-${request.id}-from`} label="From" value={from} onChange={setFrom} />
          <WhenInputs id={`part-${request.id}-until`} label="Until" value={until} onChange={setUntil} />
          <button type="button" disabled={busy} onClick={acceptPart}>
            Accept this part
          </button>
        </div>
      )}
      {problem && (
        <p className="problem" role="alert">
          {problem}
        </p>
      )}
    </li>
  );
}
