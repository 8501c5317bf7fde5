// The widget's web link, `/#/coverage/request?start=…&end=…&schedules=1,2`, opens a prefilled
// request (no start: the current shift, asked from the next minute on). Someone else on those
// schedules takes over the stretch once they accept.
import { useState, type FormEvent } from "react";
import { RequestCoverageDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { usePageTitle } from "../shell/usePageTitle";

export function CoverageRequestPage({ params }: { params: URLSearchParams }) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  usePageTitle("Ask for coverage");
  const nextMinute = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 60_000).toISOString().replace(/\.\d+Z$/, "Z");
  const schedules = (params.get("schedules") ?? "").split(",").filter(Boolean);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const form = new FormData(event.currentTarget);
    const answer = await session.client
      .mutation(RequestCoverageDocument, {
        start: String(form.get("start") ?? "").trim(),
        end: String(form.get("end") ?? "").trim(),
        message: String(form.get("message") ?? ""),
        schedules: schedules.length ? schedules : null,
      })
      .toPromise();
    if (answer.error) setResult(errorText(answer.error));
    else if (answer.data) {
      const made = answer.data.requestCoverage;
      setResult(`Asked: coverage request ${made.id} is ${made.status.toLowerCase()}.`);
    }
  };

  return (
    <section id="coverage-view" aria-labelledby="coverage-title">
      <h2 id="coverage-title">Ask for coverage</h2>
      <p className="hint">From the widget's link: someone else on these schedules takes over this stretch once they accept.</p>
      <form className="login" onSubmit={submit}>
        <label htmlFor="coverage-start">From (UTC, ISO 8601)</label>
        <input id="coverage-start" name="start" required defaultValue={params.get("start") || nextMinute} />
        <label htmlFor="coverage-end">Until (UTC, ISO 8601)</label>
        <input id="coverage-end" name="end" required defaultValue={params.get("end") ?? ""} />
        <label htmlFor="coverage-message">Message</label>
        <input id="coverage-message" name="message" />
        <button type="submit">Ask for coverage</button>
      </form>
      <p id="coverage-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
