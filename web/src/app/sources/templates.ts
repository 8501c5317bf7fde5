// The webhook templates as a form, and what the live preview sends. Templates map any JSON a
// monitor sends to an event (docs/integrations/webhooks.md); the preview renders a payload with
// the templates being edited, on the server (`previewTemplate`), so what it shows is what intake
// will do. These functions decide what goes to the server and where its answer is shown.

export const TEMPLATE_FIELDS = ["summary", "details", "alertKey", "priority", "eventType"] as const;
export type TemplateField = (typeof TEMPLATE_FIELDS)[number];

export interface TemplateLink {
  href: string;
  text: string;
}

export interface TemplateForm {
  fields: Record<TemplateField, string>;
  links: TemplateLink[];
}

export function emptyTemplates(): TemplateForm {
  return { fields: { summary: "", details: "", alertKey: "", priority: "", eventType: "" }, links: [] };
}

/** The templates JSON: only the fields filled in (an empty one falls back to the default
 * reading of the payload), null when nothing is (the default templates). */
export function templatesToJson(form: TemplateForm): Record<string, unknown> | null {
  const made: Record<string, unknown> = {};
  for (const field of TEMPLATE_FIELDS) {
    if (form.fields[field].trim() !== "") made[field] = form.fields[field];
  }
  const links = form.links.filter((link) => link.href.trim() !== "" || link.text.trim() !== "");
  if (links.length > 0) made["links"] = links.map((link) => ({ href: link.href, text: link.text }));
  return Object.keys(made).length > 0 ? made : null;
}

export function templatesFromJson(raw: unknown): TemplateForm {
  const form = emptyTemplates();
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) return form;
  const stored = raw as Record<string, unknown>;
  for (const field of TEMPLATE_FIELDS) {
    const value = stored[field];
    if (typeof value === "string") form.fields[field] = value;
  }
  if (Array.isArray(stored["links"])) {
    for (const link of stored["links"]) {
      if (typeof link === "object" && link !== null) {
        const { href, text } = link as Record<string, unknown>;
        form.links.push({ href: typeof href === "string" ? href : "", text: typeof text === "string" ? text : "" });
      }
    }
  }
  return form;
}

/** The sample payload as typed: the JSON object to render, or why it cannot be sent. */
export function parsePayload(text: string): { payload: Record<string, unknown> } | { error: string } {
  if (text.trim() === "") return { error: "Paste a payload, or pick one this source received." };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (exc) {
    return { error: `Not JSON: ${exc instanceof Error ? exc.message : String(exc)}` };
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return { error: "The payload must be a JSON object." };
  return { payload: parsed as Record<string, unknown> };
}

/** Which template a problem or an error is about: the server names it ("the eventType template
 * rendered …", "summary is required for ALERT events", field "links[0]"). "links[…]" is the
 * links; null when no template is named (shown with the preview instead). */
export function templateFieldOf(text: string): TemplateField | "links" | null {
  const found = /\b(summary|details|alertKey|priority|eventType|links)\b/.exec(text);
  return found ? (found[1] as TemplateField | "links") : null;
}

/** The preview's request key: the same templates and payload are not rendered twice. */
export function previewKey(templates: unknown, payload: unknown): string {
  return JSON.stringify([templates, payload]);
}
