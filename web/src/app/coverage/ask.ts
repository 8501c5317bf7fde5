// Sending a coverage request from date and time inputs read in the viewer's zone: the AskForm
// and the widget's prefilled form both go through here.
import type { Client } from "@urql/core";
import { RequestCoverageDocument } from "../../gql/graphql";
import { errorText } from "../shell/errors";
import { fromInputs } from "../oncall/zoned";
import { partProblem } from "./lists";
import type { When } from "./WhenInputs";

export interface Ask {
  from: When;
  until: When;
  timeZone: string;
  /** The stretch the request must stay inside (a shift), or none. */
  within?: [number, number];
  message: string;
  schedules: string[] | null;
  users: string[] | null;
}

/** The request made (its id and status) or why not, as text to show. */
export async function askForCoverage(client: Client, ask: Ask): Promise<{ made: { id: string; status: string } } | { problem: string }> {
  const start = fromInputs(ask.from.date, ask.from.time, ask.timeZone);
  const end = fromInputs(ask.until.date, ask.until.time, ask.timeZone);
  const [low, high] = ask.within ?? [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
  const problem = partProblem(start, end, low, high);
  if (problem || start === null || end === null) return { problem };
  const answer = await client
    .mutation(RequestCoverageDocument, {
      start: new Date(start).toISOString(),
      end: new Date(end).toISOString(),
      message: ask.message,
      schedules: ask.schedules,
      users: ask.users,
    })
    .toPromise();
  if (answer.error) return { problem: errorText(answer.error) };
  if (!answer.data) return { problem: "No answer from the server." };
  return { made: answer.data.requestCoverage };
}
