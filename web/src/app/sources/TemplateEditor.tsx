// The source's templates with a live preview: each change, and each change of the sample
// payload, renders the payload on the server with the templates as typed (nothing is saved or
// sent), so the preview is what intake would make of it. A template that does not compile and a
// payload intake would refuse are shown beside the template they are about.
import { useEffect, useRef, useState, type ReactNode } from "react";
import { PreviewSourceTemplateDocument, type PreviewSourceTemplateMutation, type SourceItemFragment } from "../../gql/graphql";
import { useShell } from "../shell/context";
import { FieldMessage } from "./FieldMessage";
import { fieldError, messageFor, type FieldError } from "./fieldErrors";
import type { SavePolicy } from "./SourcePolicy";
import { RecentPayloads } from "./RecentPayloads";
import {
  TEMPLATE_FIELDS,
  parsePayload,
  previewKey,
  templateFieldOf,
  templatesFromJson,
  templatesToJson,
  type TemplateField,
  type TemplateForm,
} from "./templates";

type Preview = PreviewSourceTemplateMutation["previewTemplate"];

const LABELS: Record<TemplateField, string> = {
  summary: "Summary template",
  details: "Details template",
  alertKey: "Alert key template",
  priority: "Priority template (HIGH or LOW)",
  eventType: "Event type template (ALERT, ACCEPT, RESOLVE, COMMENT)",
};

/** How long typing pauses before the preview is asked for. */
const PREVIEW_DELAY_MS = 300;

export function TemplateEditor({ source, stored, save }: { source: SourceItemFragment; stored: unknown; save: SavePolicy }) {
  const { session } = useShell();
  const [form, setForm] = useState<TemplateForm>(() => templatesFromJson(stored));
  const [payloadText, setPayloadText] = useState("");
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<FieldError | null>(null);
  const [saveError, setSaveError] = useState<FieldError | null>(null);
  const [result, setResult] = useState("");
  const asked = useRef("");

  const templates = templatesToJson(form);
  const parsed = parsePayload(payloadText);
  const key = "payload" in parsed ? previewKey(templates, parsed.payload) : "";
  useEffect(() => {
    if (!("payload" in parsed) || key === asked.current) return;
    const timer = window.setTimeout(() => {
      asked.current = key;
      void session.client
        .mutation(PreviewSourceTemplateDocument, { payload: parsed.payload, templates: templates ?? {} })
        .toPromise()
        .then((answer) => {
          if (asked.current !== key) return; // a later edit asked again
          if (answer.error) {
            setPreview(null);
            setPreviewError(fieldError(answer.error));
          } else if (answer.data) {
            setPreview(answer.data.previewTemplate);
            setPreviewError(null);
          }
        });
    }, PREVIEW_DELAY_MS);
    return () => window.clearTimeout(timer);
    // `key` stands for the templates and the payload.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, session]);

  const problem = preview?.problem ?? "";
  const problemField = problem ? templateFieldOf(problem) : null;
  /** What to show beside a template: its compile error, the payload's problem it causes, or
   * the error of the last save. */
  const besides = (field: TemplateField | "links"): string =>
    messageFor(previewError, field) || (problemField === field ? problem : "") || messageFor(saveError, `templates.${field}`, field);

  const setField = (field: TemplateField, value: string) => setForm((f) => ({ ...f, fields: { ...f.fields, [field]: value } }));
  const setLink = (index: number, part: "href" | "text", value: string) =>
    setForm((f) => ({ ...f, links: f.links.map((link, i) => (i === index ? { ...link, [part]: value } : link)) }));

  const submit = async () => {
    setResult("");
    const refused = await save({ templates }, ["templates"]);
    setSaveError(refused);
    if (!refused) setResult(templates ? "Templates saved." : "Templates cleared: the payload is read as it comes.");
  };

  let previewBody: ReactNode;
  if ("error" in parsed) previewBody = <p className="hint">{parsed.error}</p>;
  else if (previewError && !TEMPLATE_FIELDS.some((f) => messageFor(previewError, f)) && !messageFor(previewError, "links")) {
    previewBody = <p className="problem">{previewError.message}</p>;
  } else if (previewError) previewBody = <p className="problem">A template does not compile: see beside it.</p>;
  else if (preview) {
    previewBody = (
      <dl>
        {TEMPLATE_FIELDS.map((field) => (
          <div key={field}>
            <dt>{field}</dt>
            <dd data-preview={field}>{preview[field] || "(empty)"}</dd>
          </div>
        ))}
        <dt>links</dt>
        <dd data-preview="links">{JSON.stringify(preview.links)}</dd>
        {problem && (
          <>
            <dt>Refused</dt>
            <dd data-preview="problem" className="problem">
              {problem}
            </dd>
          </>
        )}
      </dl>
    );
  } else previewBody = <p className="hint">Rendering…</p>;

  return (
    <section aria-labelledby="templates-title" className="admin-card">
      <h3 id="templates-title">Templates</h3>
      <p className="hint">
        Map any JSON to the alert: <code>{"{{ path.to.field }}"}</code>, pipes such as <code>{"{{ title | upper }}"}</code>, <code>{"{{#if …}}"}</code> and{" "}
        <code>{"{{#each …}}"}</code>. Empty templates read the payload as it comes.
      </p>
      <div className="admin-form">
        {TEMPLATE_FIELDS.map((field) => (
          <div key={field} className="admin-form">
            <label htmlFor={`template-${field}`}>{LABELS[field]}</label>
            {field === "details" ? (
              <textarea id={`template-${field}`} value={form.fields[field]} onChange={(e) => setField(field, e.currentTarget.value)} aria-describedby={`template-${field}-error`} />
            ) : (
              <input id={`template-${field}`} value={form.fields[field]} onChange={(e) => setField(field, e.currentTarget.value)} aria-describedby={`template-${field}-error`} />
            )}
            <FieldMessage id={`template-${field}-error`} text={besides(field)} />
          </div>
        ))}
        <fieldset aria-describedby="template-links-error">
          <legend>Links</legend>
          {form.links.map((link, index) => (
            <div key={index} className="admin-row">
              <label htmlFor={`link-href-${index}`}>Link {index + 1} address</label>
              <input id={`link-href-${index}`} value={link.href} onChange={(e) => setLink(index, "href", e.currentTarget.value)} />
              <label htmlFor={`link-text-${index}`}>Link {index + 1} text</label>
              <input id={`link-text-${index}`} value={link.text} onChange={(e) => setLink(index, "text", e.currentTarget.value)} />
              <button type="button" onClick={() => setForm((f) => ({ ...f, links: f.links.filter((_, i) => i !== index) }))}>
                Remove link {index + 1}
              </button>
            </div>
          ))}
          <div className="admin-row">
            <button type="button" onClick={() => setForm((f) => ({ ...f, links: [...f.links, { href: "", text: "" }] }))}>
              Add a link
            </button>
          </div>
          <FieldMessage id="template-links-error" text={besides("links")} />
        </fieldset>
        <label htmlFor="template-payload">Sample payload (JSON)</label>
        <textarea id="template-payload" value={payloadText} onChange={(e) => setPayloadText(e.currentTarget.value)} rows={6} />
        <RecentPayloads sourceId={source.id} pick={(payload) => setPayloadText(JSON.stringify(payload, null, 2))} />
        <section aria-labelledby="preview-title" className="preview" aria-live="polite">
          <h4 id="preview-title">Preview</h4>
          {previewBody}
        </section>
        <div className="admin-row">
          <button type="button" onClick={submit}>
            Save templates
          </button>
        </div>
        <p id="templates-result" role="status" aria-live="polite">
          {(saveError && !TEMPLATE_FIELDS.some((f) => messageFor(saveError, `templates.${f}`, f)) ? saveError.message : "") || result}
        </p>
      </div>
    </section>
  );
}
