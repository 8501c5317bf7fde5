// Which coverage requests go where: the inbox holds what I was asked and can still answer; "my
// requests" what I asked, pending first.
import type { CoverageItemFragment } from "../../gql/graphql";

const byStart = (a: CoverageItemFragment, b: CoverageItemFragment) => Date.parse(a.start) - Date.parse(b.start);

export function inbox(requests: readonly CoverageItemFragment[], me: string): CoverageItemFragment[] {
  return requests
    .filter((r) => r.status === "PENDING" && r.requesterId !== me && r.recipientIds.includes(me) && !r.declinedIds.includes(me))
    .sort(byStart);
}

export function myRequests(requests: readonly CoverageItemFragment[], me: string): CoverageItemFragment[] {
  const pendingFirst = (r: CoverageItemFragment) => (r.status === "PENDING" ? 0 : 1);
  return requests.filter((r) => r.requesterId === me).sort((a, b) => pendingFirst(a) - pendingFirst(b) || byStart(a, b));
}

/** Why the part [from, until) cannot be asked for or accepted within [start, end), or "". */
export function partProblem(from: number | null, until: number | null, start: number, end: number): string {
  if (from === null || until === null) return "Give a date and a time for both ends.";
  if (until <= from) return "The end must be after the start.";
  if (from < start || until > end) return "Pick a part inside the requested time.";
  return "";
}
