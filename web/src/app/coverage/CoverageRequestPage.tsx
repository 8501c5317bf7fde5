// The widget's web link, `/#/coverage/request?start=…&end=…&schedules=1,2`, opens a prefilled
// request (no start: the current shift, asked from the next minute on), with date and time
// inputs in the viewer's time zone. Someone else on those schedules takes over the stretch once
// they accept.
import { useEffect, useState, type FormEvent } from "react";
import { CoverageRequestFormDocument, RequestCoverageDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import { Link } from "../shell/Link";
import { useLoadOnce } from "../shell/useLoadOnce";
import { usePageTitle } from "../shell/usePageTitle";
import { fromInputs, knownZone, toInputs } from "../oncall/zoned";
import { partProblem } from "./lists";
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
    const start = fromInputs(from.date, from.time, timeZone);
    const end = fromInputs(until.date, until.time, timeZone);
    const problem = partProblem(start, end, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY);
    if (problem || start === null || end === null) return setResult(problem);
    const answer = await session.client
      .mutation(RequestCoverageDocument, {
        start: new Date(start).toISOString(),
        end: new Date(end).toISOString(),
        message,
        schedules: schedules.length ? schedules : null,
        users: null,
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
