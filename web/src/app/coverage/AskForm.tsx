// Asking for coverage: pick one of my shifts (its times fill the inputs; narrow them to ask
// for a part), tick colleagues (none: everyone else on the schedule), add a message.
import { useState, type FormEvent } from "react";
import type { CoverageQuery } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { clock, dayTitle, toInputs } from "../oncall/zoned";
import { askForCoverage } from "./ask";
import { WhenInputs, type When } from "./WhenInputs";

type Shift = CoverageQuery["myShifts"][number];
type Person = CoverageQuery["users"][number];

const shiftKey = (shift: Shift) => `${shift.schedule.id}@${shift.start}`;

export function AskForm({ shifts, colleagues, timeZone, asked }: { shifts: readonly Shift[]; colleagues: readonly Person[]; timeZone: string; asked: () => void }) {
  const { session } = useShell();
  const [chosen, setChosen] = useState("");
  const [from, setFrom] = useState<When>({ date: "", time: "" });
  const [until, setUntil] = useState<When>({ date: "", time: "" });
  const [people, setPeople] = useState<ReadonlySet<string>>(new Set());
  const [message, setMessage] = useState("");
  const [result, setResult] = useState("");
  const shift = shifts.find((s) => shiftKey(s) === chosen);

  const pick = (key: string) => {
    setChosen(key);
    const picked = shifts.find((s) => shiftKey(s) === key);
    if (!picked) return;
    // A shift under way can only be handed over from the next minute on.
    const start = Math.max(Date.parse(picked.start), Math.ceil(Date.now() / 60_000) * 60_000 + 60_000);
    setFrom(toInputs(start, timeZone));
    setUntil(toInputs(Date.parse(picked.end), timeZone));
  };

  const submit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (!shift) return setResult("Pick one of your shifts.");
    const answer = await askForCoverage(session.client, {
      from,
      until,
      timeZone,
      within: [Date.parse(shift.start), Date.parse(shift.end)],
      message,
      schedules: [shift.schedule.id],
      users: people.size ? [...people] : null,
    });
    if ("problem" in answer) return setResult(answer.problem);
    setResult("Asked. You will get a push when someone answers.");
    setMessage("");
    asked();
  };

  return (
    <section aria-labelledby="ask-title">
      <h3 id="ask-title">Ask for coverage</h3>
      {shifts.length === 0 ? (
        <p className="empty">You have no shifts in the next four weeks.</p>
      ) : (
        <form className="coverage-form" onSubmit={submit}>
          <label htmlFor="ask-shift">Shift</label>
          <select id="ask-shift" value={chosen} onChange={(event) => pick(event.currentTarget.value)} required>
            <option value="">Pick one of your shifts</option>
            {shifts.map((s) => (
              <option key={shiftKey(s)} value={shiftKey(s)}>
                {s.schedule.name}: {dayTitle(Date.parse(s.start), timeZone)} {clock(Date.parse(s.start), timeZone)} – {dayTitle(Date.parse(s.end), timeZone)}{" "}
                {clock(Date.parse(s.end), timeZone)}
              </option>
            ))}
          </select>
          <WhenInputs id="ask-from" label="From" value={from} onChange={setFrom} />
          <WhenInputs id="ask-until" label="Until" value={until} onChange={setUntil} />
          <p className="hint">Times in {timeZone}. Narrow them to ask for a part of the shift.</p>
          <fieldset className="people">
            <legend>Ask (nobody ticked: everyone else on the schedule)</legend>
            {colleagues.map((person) => (
              <label key={person.id} className="check">
                <input
                  type="checkbox"
                  checked={people.has(person.id)}
                  onChange={(event) => {
                    const on = event.currentTarget.checked;
                    setPeople((before) => {
                      const next = new Set(before);
                      if (on) next.add(person.id);
                      else next.delete(person.id);
                      return next;
                    });
                  }}
                />
                {person.name}
              </label>
            ))}
          </fieldset>
          <label htmlFor="ask-message">Message</label>
          <input id="ask-message" value={message} onChange={(event) => setMessage(event.currentTarget.value)} />
          <button type="submit">Ask for coverage</button>
        </form>
      )}
      <p id="ask-result" role="status" aria-live="polite">
        {result}
      </p>
    </section>
  );
}
