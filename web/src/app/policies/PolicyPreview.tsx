// Who each level of a policy would page: now, or at a time the admin picks (in their browser's
// time zone), as the server's onCallByPolicy answers it (schedules resolved to whoever is on
// call then).
import { useCallback, useEffect, useState, type FormEvent } from "react";
import { AdminPolicyPreviewDocument } from "../../gql/graphql";
import { policyLevels, type PolicyLevels } from "../oncall/levels";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { formatTime } from "../shell/format";

/** `revision`: the policy as last loaded; a new one (after a save, or another admin's change)
 * asks again. */
export function PolicyPreview({ policyId, revision }: { policyId: string; revision: unknown }) {
  const { session } = useShell();
  const [at, setAt] = useState<string | null>(null);
  const [shown, setShown] = useState<{ at: string | null; levels: PolicyLevels["levels"] } | null>(null);
  const [problem, setProblem] = useState("");

  const load = useCallback(
    (when: string | null) => {
      void session.client
        .query(AdminPolicyPreviewDocument, { at: when }, { requestPolicy: "network-only" })
        .toPromise()
        .then((result) => {
          if (result.error) return setProblem(errorText(result.error));
          setProblem("");
          const policy = result.data ? policyLevels(result.data).find((candidate) => candidate.id === policyId) : undefined;
          setShown({ at: when, levels: policy?.levels ?? [] });
        });
    },
    [session, policyId],
  );
  useEffect(() => load(at), [load, at, revision]);

  const pick = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const value = String(new FormData(event.currentTarget).get("at") ?? "");
    const instant = new Date(value);
    if (!value || Number.isNaN(instant.getTime())) return setProblem("Give a date and time.");
    setAt(instant.toISOString());
  };

  return (
    <section aria-labelledby="preview-title" className="card" id="policy-preview">
      <h3 id="preview-title">Who would be paged</h3>
      <form className="admin-form" onSubmit={pick}>
        <label htmlFor="preview-at">At (your time zone)</label>
        <input id="preview-at" name="at" type="datetime-local" required />
        <div className="admin-actions">
          <button type="submit">Show at this time</button>
          <button type="button" onClick={() => (at === null ? load(null) : setAt(null))}>
            Show now
          </button>
        </div>
      </form>
      <p className="form-result failed" role="status" aria-live="polite">
        {problem}
      </p>
      {shown && (
        <div id="preview-result" data-at={shown.at ?? "now"} aria-live="polite">
          <p>{shown.at ? `At ${formatTime(shown.at)}:` : "Now:"}</p>
          {shown.levels.length === 0 ? (
            <p className="empty">Save the policy to see who it pages.</p>
          ) : (
            <ul className="preview">
              {shown.levels.map((level) => (
                <li key={level.level} data-level={level.level}>
                  Level {level.level}: {level.who}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
