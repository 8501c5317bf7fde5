// The bodies this source received last (kept for this preview, the newest 20): one can be put in
// the sample payload, so templates are tried on what the monitor really sends.
import { useCallback, useState } from "react";
import { SourceRecentPayloadsDocument, type SourceRecentPayloadsQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";
import { useRefetchOnConnect } from "../shell/useRefetchOnConnect";

type Received = SourceRecentPayloadsQuery["recentPayloads"];

export function RecentPayloads({ sourceId, pick }: { sourceId: string; pick: (payload: unknown) => void }) {
  const { session } = useShell();
  const [received, setReceived] = useState<Received | null>(null);
  const [chosen, setChosen] = useState("0");
  const [problem, setProblem] = useState("");
  const load = useCallback(() => {
    void session.client
      .query(SourceRecentPayloadsDocument, { id: sourceId }, { requestPolicy: "network-only" })
      .toPromise()
      .then((result) => {
        if (result.error) setProblem(errorText(result.error));
        else if (result.data) {
          setProblem("");
          setReceived(result.data.recentPayloads);
        }
      });
  }, [session, sourceId]);
  useRefetchOnConnect(load);
  const use = () => {
    const item = received?.[Number(chosen)];
    if (item) pick(item.payload);
  };
  return (
    <div className="admin-row">
      {received && received.length > 0 ? (
        <>
          <label htmlFor="recent-payload">Received payload</label>
          <select id="recent-payload" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
            {received.map((item, index) => (
              <option key={`${item.receivedAt}-${index}`} value={String(index)}>
                {formatTime(item.receivedAt)}
              </option>
            ))}
          </select>
          <button type="button" onClick={use}>
            Use this payload
          </button>
        </>
      ) : (
        <span className="hint">{problem || "Nothing received yet: paste a payload."}</span>
      )}
      <button type="button" onClick={load}>
        Check for new payloads
      </button>
    </div>
  );
}
