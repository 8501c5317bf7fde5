// The policy editor's state and what it sends: a draft the form edits (numbers as typed, levels
// in order) made from a policy, and the mutation's variables made from a draft.
import type { AdminPoliciesQuery, EscalationRuleInput } from "../../gql/graphql";

type Policy = AdminPoliciesQuery["escalationPolicies"][number];

export interface LevelDraft {
  /** Stable across reordering, so React keeps each level's inputs with it. */
  key: number;
  timeout: string;
  userIds: string[];
  scheduleIds: string[];
}

export interface PolicyDraft {
  name: string;
  /** "" for organisation-wide. */
  teamId: string;
  routingKey: string;
  repeating: boolean;
  frequency: string;
  levels: LevelDraft[];
}

export interface PolicyVariables {
  name: string;
  rules: EscalationRuleInput[];
  teamId: string | null;
  repeating: boolean;
  frequency: number;
  routingKey: string | null;
}

let nextKey = 1;

export function newLevel(timeout = "15"): LevelDraft {
  return { key: nextKey++, timeout, userIds: [], scheduleIds: [] };
}

export function emptyDraft(): PolicyDraft {
  return { name: "", teamId: "", routingKey: "", repeating: false, frequency: "1", levels: [newLevel()] };
}

export function draftOf(policy: Policy): PolicyDraft {
  const rules = [...policy.rules].sort((a, b) => a.position - b.position);
  return {
    name: policy.name,
    teamId: policy.team?.id ?? "",
    routingKey: policy.routingKey ?? "",
    repeating: policy.repeating,
    frequency: String(policy.frequency),
    levels: rules.map((rule) => ({
      key: nextKey++,
      timeout: String(rule.escalationTimeout),
      userIds: rule.users.map((user) => user.id),
      scheduleIds: rule.schedules.map((schedule) => schedule.id),
    })),
  };
}

/** What the server is sent. Numbers the browser could not read go as NaN → 0, which the server
 * refuses beside the field; the form's own checks (required, min, max) come first. */
export function policyVariables(draft: PolicyDraft): PolicyVariables {
  const routingKey = draft.routingKey.trim();
  return {
    name: draft.name.trim(),
    rules: draft.levels.map((level) => ({
      escalationTimeout: Number.parseInt(level.timeout, 10) || 0,
      userIds: level.userIds,
      scheduleIds: level.scheduleIds,
    })),
    teamId: draft.teamId || null,
    repeating: draft.repeating,
    frequency: Number.parseInt(draft.frequency, 10) || 0,
    routingKey: routingKey || null,
  };
}

/** The level at `index` moved by `by` places (-1 up, 1 down), within bounds. */
export function moveLevel(levels: LevelDraft[], index: number, by: number): LevelDraft[] {
  const to = index + by;
  if (to < 0 || to >= levels.length || index < 0 || index >= levels.length) return levels;
  const moved = [...levels];
  const [level] = moved.splice(index, 1);
  if (level) moved.splice(to, 0, level);
  return moved;
}

/** `ids` with `id` in or out. */
export function toggled(ids: string[], id: string, on: boolean): string[] {
  return on ? (ids.includes(id) ? ids : [...ids, id]) : ids.filter((other) => other !== id);
}
