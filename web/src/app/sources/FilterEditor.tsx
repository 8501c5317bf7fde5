// The event filter as a form of tests that builds the JSON the server keeps, shown below it and
// editable there too (a filter with nested and/or can only be edited as JSON). The server's
// refusal names a JSON path; it is shown beside the test and input it points at.
import { useState } from "react";
import { FieldMessage } from "./FieldMessage";
import { FILTER_FIELDS, FILTER_OPS, OP_LABELS, emptyTest, errorTarget, filterErrorPath, filterFromJson, filterToJson, type FilterForm, type FilterOp, type FilterTest } from "./eventFilter";
import type { FieldError } from "./fieldErrors";
import type { SavePolicy } from "./SourcePolicy";

function jsonText(form: FilterForm): string {
  const json = filterToJson(form);
  return json === null ? "" : JSON.stringify(json, null, 2);
}

export function FilterEditor({ stored, save }: { stored: unknown; save: SavePolicy }) {
  const [form, setForm] = useState<FilterForm | null>(() => filterFromJson(stored));
  const [text, setText] = useState(() => (stored === null || stored === undefined ? "" : JSON.stringify(stored, null, 2)));
  const [error, setError] = useState<FieldError | null>(null);
  const [result, setResult] = useState("");

  const changeForm = (next: FilterForm) => {
    setForm(next);
    setText(jsonText(next));
  };
  const changeText = (next: string) => {
    setText(next);
    if (next.trim() === "") return setForm({ join: form?.join ?? "and", tests: [] });
    try {
      setForm(filterFromJson(JSON.parse(next)));
    } catch {
      setForm(null); // not JSON (yet): the form waits
    }
  };
  const setTest = (index: number, change: Partial<FilterTest>) => {
    if (form) changeForm({ ...form, tests: form.tests.map((test, i) => (i === index ? { ...test, ...change } : test)) });
  };

  const submit = async () => {
    setResult("");
    let filter: unknown = null;
    if (text.trim() !== "") {
      try {
        filter = JSON.parse(text);
      } catch (exc) {
        return setError({ field: "eventFilter", message: `Not JSON: ${exc instanceof Error ? exc.message : String(exc)}` });
      }
    }
    const refused = await save({ eventFilter: filter }, ["eventFilter"]);
    setError(refused);
    if (!refused) setResult(filter === null ? "Filter removed: every event is kept." : "Filter saved.");
  };

  // Where the refusal goes: a test's input, or the JSON.
  // The server names the path in extensions.field ("eventFilter.and[1].op") and in the message
  // ("eventFilter $.and[1].op: …"); the message's text without the path goes beside the input.
  const inMessage = error ? filterErrorPath(error.message) : null;
  const fromField = error?.field?.startsWith("eventFilter") ? `$${error.field.slice("eventFilter".length)}` : null;
  const found = fromField !== null ? { path: fromField, text: inMessage?.text ?? error?.message ?? "" } : inMessage;
  const target = found && form ? errorTarget(found.path, form) : null;
  const at = (row: number, part: string): string => (target && target.row === row && target.part === part && found ? found.text : "");

  return (
    <section aria-labelledby="filter-title" className="admin-card">
      <h3 id="filter-title">Event filter</h3>
      <p className="hint">Only events that match open alerts; the others are dropped and listed below. No tests: every event is kept.</p>
      {form ? (
        <div className="admin-form">
          {form.tests.length > 1 && (
            <>
              <label htmlFor="filter-join">Keep events that match</label>
              <select id="filter-join" value={form.join} onChange={(e) => changeForm({ ...form, join: e.currentTarget.value as "and" | "or" })}>
                <option value="and">all of the tests</option>
                <option value="or">any of the tests</option>
              </select>
            </>
          )}
          <datalist id="filter-fields">
            {FILTER_FIELDS.map((field) => (
              <option key={field} value={field} />
            ))}
          </datalist>
          {form.tests.map((test, index) => {
            const n = index + 1;
            return (
              <fieldset key={index} className="filter-test" aria-describedby={`filter-${index}-error`}>
                <legend>Test {n}</legend>
                <label htmlFor={`filter-${index}-field`}>Test {n} field</label>
                <input id={`filter-${index}-field`} list="filter-fields" value={test.field} onChange={(e) => setTest(index, { field: e.currentTarget.value })} aria-describedby={`filter-${index}-field-error`} />
                <FieldMessage id={`filter-${index}-field-error`} text={at(index, "field")} />
                <label htmlFor={`filter-${index}-op`}>Test {n} condition</label>
                <select id={`filter-${index}-op`} value={test.op} onChange={(e) => setTest(index, { op: e.currentTarget.value as FilterOp })} aria-describedby={`filter-${index}-op-error`}>
                  {FILTER_OPS.map((op) => (
                    <option key={op} value={op}>
                      {OP_LABELS[op]}
                    </option>
                  ))}
                </select>
                <FieldMessage id={`filter-${index}-op-error`} text={at(index, "op")} />
                {test.op !== "exists" && (
                  <>
                    <label htmlFor={`filter-${index}-value`}>Test {n} value{test.op === "in" ? "s (separated by commas)" : ""}</label>
                    <input id={`filter-${index}-value`} value={test.value} onChange={(e) => setTest(index, { value: e.currentTarget.value })} aria-describedby={`filter-${index}-value-error`} />
                    <FieldMessage id={`filter-${index}-value-error`} text={at(index, "value")} />
                  </>
                )}
                <div className="admin-row">
                  <input id={`filter-${index}-case`} type="checkbox" checked={test.ignoreCase} onChange={(e) => setTest(index, { ignoreCase: e.currentTarget.checked })} />
                  <label htmlFor={`filter-${index}-case`}>Test {n} ignores case</label>
                  <input id={`filter-${index}-not`} type="checkbox" checked={test.negate} onChange={(e) => setTest(index, { negate: e.currentTarget.checked })} />
                  <label htmlFor={`filter-${index}-not`}>Test {n} must not match</label>
                  <button type="button" onClick={() => changeForm({ ...form, tests: form.tests.filter((_, i) => i !== index) })}>
                    Remove test {n}
                  </button>
                </div>
                <FieldMessage id={`filter-${index}-error`} text={at(index, "test") || at(index, "ignoreCase")} />
              </fieldset>
            );
          })}
          <div className="admin-row">
            <button type="button" onClick={() => changeForm({ ...form, tests: [...form.tests, emptyTest()] })}>
              Add a test
            </button>
          </div>
        </div>
      ) : (
        <p className="hint">This filter is more than the form shows (nested groups, numbers): edit it as JSON.</p>
      )}
      <div className="admin-form">
        <label htmlFor="filter-json">Filter as JSON</label>
        <textarea id="filter-json" value={text} onChange={(e) => changeText(e.currentTarget.value)} rows={6} aria-describedby="filter-json-error" />
        <FieldMessage id="filter-json-error" text={error && !target ? error.message : ""} />
        <div className="admin-row">
          <button type="button" onClick={submit}>
            Save filter
          </button>
        </div>
        <p id="filter-result" role="status" aria-live="polite">
          {result}
        </p>
      </div>
    </section>
  );
}
