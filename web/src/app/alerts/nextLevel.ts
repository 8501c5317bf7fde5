// Who the next escalation would page, as the alert page shows it: the level after the current
// one, or the first again when the policy repeats. (The engine also skips a level that resolves
// to nobody at that moment; this shows the level as configured, with who is on call now.)
export interface PolicyRules {
  repeating: boolean;
  rules: readonly {
    position: number;
    users: readonly { name: string }[];
    schedules: readonly { name: string; onCall: { name: string } | null }[];
  }[];
}

export interface NextLevel {
  level: number;
  /** "Bob", "Primary: Carol", "Secondary: nobody on call". */
  targets: string[];
  repeats: boolean;
}

export function nextLevel(policy: PolicyRules, currentLevel: number): NextLevel | null {
  const rules = [...policy.rules].sort((a, b) => a.position - b.position);
  let index = currentLevel; // levels count from 1: the next level's rule is at this index
  let repeats = false;
  if (index >= rules.length) {
    if (!policy.repeating || rules.length === 0) return null;
    index = 0;
    repeats = true;
  }
  const rule = rules[index];
  if (!rule) return null;
  const targets = [
    ...rule.users.map((user) => user.name),
    ...rule.schedules.map((schedule) => `${schedule.name}: ${schedule.onCall?.name ?? "nobody on call"}`),
  ];
  return { level: index + 1, targets, repeats };
}
