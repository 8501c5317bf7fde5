import { describe, expect, it } from "vitest";
import { emptyTemplates, parsePayload, previewKey, templateFieldOf, templatesFromJson, templatesToJson } from "./templates";

describe("the templates form", () => {
  it("sends only the templates filled in, and null for none (the defaults)", () => {
    expect(templatesToJson(emptyTemplates())).toBeNull();
    const form = emptyTemplates();
    form.fields.summary = "{{ title }} on {{ host }}";
    form.fields.eventType = '{{#if state | eq("ok")}}RESOLVE{{else}}ALERT{{/if}}';
    form.links.push({ href: "{{ url }}", text: "Dashboard" }, { href: " ", text: "" });
    expect(templatesToJson(form)).toEqual({
      summary: "{{ title }} on {{ host }}",
      eventType: '{{#if state | eq("ok")}}RESOLVE{{else}}ALERT{{/if}}',
      links: [{ href: "{{ url }}", text: "Dashboard" }],
    });
  });

  it("reads stored templates back, ignoring what it does not know", () => {
    const stored = { summary: "{{ a }}", alertKey: "k-{{ id }}", links: [{ href: "{{ u }}", text: "T" }, "junk"], other: 3 };
    const form = templatesFromJson(stored);
    expect(form.fields).toEqual({ summary: "{{ a }}", details: "", alertKey: "k-{{ id }}", priority: "", eventType: "" });
    expect(form.links).toEqual([{ href: "{{ u }}", text: "T" }]);
    expect(templatesFromJson(null)).toEqual(emptyTemplates());
    expect(templatesToJson(templatesFromJson({ summary: "s", links: [{ href: "h", text: "t" }] }))).toEqual({ summary: "s", links: [{ href: "h", text: "t" }] });
  });
});

describe("the preview's payload and answers", () => {
  it("takes a JSON object and says why anything else is not sent", () => {
    expect(parsePayload('{"title": "Disk full"}')).toEqual({ payload: { title: "Disk full" } });
    expect(parsePayload("  ")).toHaveProperty("error");
    expect(parsePayload("[1, 2]")).toEqual({ error: "The payload must be a JSON object." });
    const broken = parsePayload("{title:");
    expect("error" in broken && broken.error.startsWith("Not JSON")).toBe(true);
  });

  it("puts a problem beside the template it names", () => {
    expect(templateFieldOf("the eventType template rendered 'RECOVER', not one of ALERT, ACCEPT")).toBe("eventType");
    expect(templateFieldOf("summary is required for ALERT events")).toBe("summary");
    expect(templateFieldOf("alertKey is required for RESOLVE events")).toBe("alertKey");
    expect(templateFieldOf("links[0]")).toBe("links");
    expect(templateFieldOf("the payload is too big")).toBeNull();
  });

  it("renders the same templates and payload once", () => {
    expect(previewKey({ summary: "a" }, { x: 1 })).toBe(previewKey({ summary: "a" }, { x: 1 }));
    expect(previewKey({ summary: "a" }, { x: 1 })).not.toBe(previewKey({ summary: "b" }, { x: 1 }));
  });
});
