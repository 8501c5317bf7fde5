// The widget's web link, `/#/coverage/request?start=…&end=…&schedules=1,2`, opens a prefilled
// request (no start: the current shift, asked from the next minute on), with date and time
// inputs in the viewer's time zone. Someone else on those schedules takes over the stretch once
// they accept.
import { useEffect, useState, type FormEvent } from "react";
import { CoverageRequestFormDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { Link } from "../shell/Link";
import { useLoadOnce } from "../shell/useLoadOnce";
import { usePageTitle } from "../shell/usePageTitle";
import { knownZone, toInputs } from "../oncall/zoned";
import { askForCoverage } from "./ask";
import { WhenInputs, type When } from "./WhenInputs";

const EMPTY: When = { date: "", time: "" };

export function CoverageRequestPage({ params }: { params: URLSearchParams }) {
  const { session, failed } = useShell();
  const { data, error } = useLoadOnce(CoverageRequestFormDocument, {});
  const [from, setFrom] = useState<When>(EMPTY);
  const [until, setUntil] = useState<When>(EMPTY);
  const [message, setMessage] = useState("");
  const [result, setResult] = useState("");
  usePageTitle("Ask for coverage");
  const timeZone = data && knownZone(data.me.timezone) ? data.me.timezone : "UTC";
  const schedules = (params.get("schedules") ?? "").split(",").filter(Boolean);

  useEffect(() => {
    if (error) failed("Could not load your time zone", error);
  }, [error, failed]);
  useEffect(() => {
    if (!data) return;
    const nextMinute = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    const start = Date.parse(params.get("start") ?? "");
    const end = Date.parse(params.get("end") ?? "");
    setFrom(toInputs(Number.isNaN(start) ? nextMinute : start, timeZone));
    setUntil(Number.isNaN(end) ? EMPTY : toInputs(end, timeZone));
  }, [data, params, timeZone]);

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    const answer = await askForCoverage(session.client, { from, until, timeZone, message, schedules: schedules.length ? schedules : null, users: null });
    if ("problem" in answer) setResult(answer.problem);
    else setResult(`Asked: coverage request ${answer.made.id} is ${answer.made.status.toLowerCase()}.`);
  };

  return (
    <section id="coverage-view" aria-labelledby="coverage-title">
      <h2 id="coverage-title">Ask for coverage</h2>
      <p className="hint">From the widget's link: someone else on these schedules takes over this stretch once they accept.</p>
      <form className="coverage-form" onSubmit={submit}>
        <WhenInputs id="coverage-from" label="From" value={from} onChange={setFrom} />
        <WhenInputs id="coverage-until" label="Until" value={until} onChange={setUntil} />
        <p className="hint">Times in {timeZone}.</p>
        <label htmlFor="coverage-message">Message</label>
        <input id="coverage-message" value={message} onChange={(event) => setMessage(event.currentTarget.value)} />
        <button type="submit" disabled={!data}>
          Ask for coverage
        </button>
      </form>
      <p id="coverage-result" role="status" aria-live="polite">
        {result}
      </p>
      <p>
        <Link href="/coverage">All coverage requests</Link>
      </p>
    </section>
  );
}
