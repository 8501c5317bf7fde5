import type { OnCallNowQuery } from "../../gql/graphql";

export interface OnCallRow {
  key: string;
  who: string;
  where: string;
}

/** Each schedule's person, then level 1 of each escalation policy. */
export function onCallRows(data: OnCallNowQuery): OnCallRow[] {
  return [
    ...data.onCall.map((entry) => ({
      key: `s${entry.schedule.id}`,
      who: entry.user ? entry.user.name : "nobody (gap)",
      where: entry.schedule.name,
    })),
    ...data.onCallByPolicy
      .filter((level) => level.level === 1)
      .map((level) => ({
        key: `p${level.policyId}`,
        who: level.users.map((user) => user.name).join(", ") || "nobody",
        where: `${level.policyName}, level 1`,
      })),
  ];
}
