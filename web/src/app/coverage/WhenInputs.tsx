// A date input and a time input for one end of a stretch, read in the viewer's time zone.
export interface When {
  date: string;
  time: string;
}

export function WhenInputs({ id, label, value, onChange }: { id: string; label: string; value: When; onChange: (value: When) => void }) {
  return (
    <fieldset className="when">
      <legend>{label}</legend>
      <label htmlFor={`${id}-date`}>{label} date</label>
      <input id={`${id}-date`} type="date" required value={value.date} onChange={(event) => onChange({ ...value, date: event.currentTarget.value })} />
      <label htmlFor={`${id}-time`}>{label} time</label>
      <input id={`${id}-time`} type="time" required value={value.time} onChange={(event) => onChange({ ...value, time: event.currentTarget.value })} />
    </fieldset>
  );
}
