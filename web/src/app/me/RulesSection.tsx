// Notification rules per priority: a method and a delay per row; saved as a whole.
import { useEffect, useState } from "react";
import { SetRulesDocument, type NotificationMethod, type Priority } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";
import { METHODS, METHOD_LABELS, MAX_DELAY, checkRules, newRow, rowsOf, sortRows, type RuleRow } from "./rules";

const PRIORITIES: readonly Priority[] = ["HIGH", "LOW"];

export function RulesSection({ data, reload }: MeSectionProps) {
  const { session } = useShell();
  const [rows, setRows] = useState<RuleRow[]>([]);
  const [result, setResult] = useState("");
  useEffect(() => {
    setRows(sortRows((data.me.notificationRules ?? []).map((rule) => newRow(rule.method, rule.delayMin, rule.priority))));
  }, [data]);
  const change = (key: number, part: Partial<RuleRow>) => setRows((before) => before.map((row) => (row.key === key ? { ...row, ...part } : row)));

  const save = async () => {
    const checked = checkRules(rows);
    if ("problem" in checked) return setResult(checked.problem);
    const answer = await session.client.mutation(SetRulesDocument, { rules: checked.rules }).toPromise();
    if (answer.error) return setResult(errorText(answer.error));
    setResult("Rules saved.");
    reload();
  };

  return (
    <section aria-labelledby="rules-title" className="card me-section">
      <h3 id="rules-title">Notification rules</h3>
      {PRIORITIES.map((priority) => (
        <div key={priority} className="rules" data-priority={priority}>
          <h4>{priority === "HIGH" ? "High priority" : "Low priority"}</h4>
          {rowsOf(rows, priority).length === 0 && <p className="empty">No rules: you are not told about {priority.toLowerCase()} alerts.</p>}
          <ol className="plain-list">
            {rowsOf(rows, priority).map((row, index) => {
              const name = `${priority.toLowerCase()} rule ${index + 1}`;
              return (
                <li key={row.key} className="rule">
                  <select aria-label={`Method of ${name}`} value={row.method} onChange={(event) => change(row.key, { method: event.currentTarget.value as NotificationMethod })}>
                    {METHODS.map((method) => (
                      <option key={method} value={method}>
                        {METHOD_LABELS[method]}
                      </option>
                    ))}
                  </select>
                  <label>
                    after{" "}
                    <input
                      type="number"
                      inputMode="numeric"
                      min={0}
                      max={MAX_DELAY}
                      className="delay"
                      aria-label={`Delay of ${name} in minutes`}
                      value={row.delay}
                      onChange={(event) => change(row.key, { delay: event.currentTarget.value })}
                    />{" "}
                    min
                  </label>
                  <button type="button" aria-label={`Remove ${name}`} onClick={() => setRows((before) => before.filter((r) => r.key !== row.key))}>
                    Remove
                  </button>
                </li>
              );
            })}
          </ol>
          <button type="button" onClick={() => setRows((before) => [...before, newRow("PUSH", 0, priority)])}>
            Add a {priority.toLowerCase()} priority rule
          </button>
        </div>
      ))}
      <p>
        <button type="button" onClick={save}>
          Save rules
        </button>
      </p>
      <p id="rules-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
