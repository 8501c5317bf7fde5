// What I asked: pending ones with Cancel, the answered ones with who took them.
import { useState } from "react";
import { CancelCoverageDocument, type CoverageItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { CoverageData } from "./CoveragePage";
import { Stretch } from "./Stretch";

export function MyRequests({ requests, data, changed }: { requests: readonly CoverageItemFragment[]; data: CoverageData; changed: () => void }) {
  const { session, showMessage } = useShell();
  const [busy, setBusy] = useState<string | null>(null);
  const cancel = async (id: string) => {
    setBusy(id);
    const answer = await session.client.mutation(CancelCoverageDocument, { id }).toPromise();
    setBusy(null);
    if (answer.error) showMessage(`Could not cancel: ${errorText(answer.error)}`);
    else changed();
  };
  return (
    <section aria-labelledby="mine-title">
      <h3 id="mine-title">My requests</h3>
      {requests.length === 0 && <p className="empty">You have not asked for coverage.</p>}
      <ul id="my-requests" className="plain-list">
        {requests.map((request) => (
          <li key={request.id} className="coverage-item" data-request-id={request.id} data-status={request.status}>
            <Stretch start={request.start} end={request.end} timeZone={data.timeZone} />{" "}
            <span className="coverage-status">
              {request.status.toLowerCase()}
              {request.acceptedById ? ` by ${data.names.get(request.acceptedById) ?? `user ${request.acceptedById}`}` : ""}
            </span>
            {request.message && <span className="hint">“{request.message}” </span>}
            {request.status === "PENDING" && (
              <button type="button" disabled={busy === request.id} onClick={() => cancel(request.id)} aria-label={`Cancel request ${request.id}`}>
                Cancel
              </button>
            )}
          </li>
        ))}
      </ul>
    </section>
  );
}
