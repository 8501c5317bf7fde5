// The on-call reminder: a push some time before each of my shifts starts, or none.
import { useState } from "react";
import { SetReminderDocument } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { errorText } from "../shell/errors";
import type { MeSectionProps } from "./MePage";

const CHOICES: readonly [string, number | null][] = [
  ["No reminder", null],
  ["15 minutes before", 15],
  ["30 minutes before", 30],
  ["1 hour before", 60],
  ["3 hours before", 180],
  ["6 hours before", 360],
  ["12 hours before", 720],
  ["1 day before", 1440],
];

export function ReminderSection({ data, reload }: MeSectionProps) {
  const { session } = useShell();
  const [result, setResult] = useState("");
  const choose = async (value: string) => {
    const answer = await session.client.mutation(SetReminderDocument, { before: value === "" ? null : Number(value) }).toPromise();
    setResult(answer.error ? errorText(answer.error) : "Reminder saved.");
    if (!answer.error) reload();
  };
  return (
    <section aria-labelledby="reminder-title" className="card me-section">
      <h3 id="reminder-title">On-call reminder</h3>
      <label htmlFor="me-reminder">Remind me</label>{" "}
      <select id="me-reminder" value={data.myOnCallReminder ?? ""} onChange={(event) => choose(event.currentTarget.value)}>
        {CHOICES.map(([text, value]) => (
          <option key={text} value={value ?? ""}>
            {text}
          </option>
        ))}
      </select>
      <p id="reminder-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
