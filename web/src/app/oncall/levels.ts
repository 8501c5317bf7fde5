import type { OnCallPageQuery } from "../../gql/graphql";

export interface PolicyLevels {
  id: string;
  name: string;
  levels: { level: number; who: string }[];
}

/** Every level of each policy the viewer can see, policies in the server's order, levels up. */
export function policyLevels(data: Pick<OnCallPageQuery, "onCallByPolicy">): PolicyLevels[] {
  const byId = new Map<string, PolicyLevels>();
  for (const entry of data.onCallByPolicy) {
    let policy = byId.get(entry.policyId);
    if (!policy) {
      policy = { id: entry.policyId, name: entry.policyName, levels: [] };
      byId.set(entry.policyId, policy);
    }
    policy.levels.push({ level: entry.level, who: entry.users.map((user) => user.name).join(", ") || "nobody" });
  }
  for (const policy of byId.values()) policy.levels.sort((a, b) => a.level - b.level);
  return [...byId.values()];
}
