// The source's links (runbook, graph, silence, ...) and images, as links. Only http(s) become
// clickable; anything else a source sent (javascript:, data:, ...) stays text. Images are
// linked, not loaded: the page loads nothing from elsewhere.
const LINK_SCHEMES = new Set(["http:", "https:"]);

/** An http(s) URL as a string, or null: what may go into an href. */
export function safeHref(raw: string): string | null {
  try {
    const url = new URL(raw);
    return LINK_SCHEMES.has(url.protocol) ? url.href : null;
  } catch {
    return null;
  }
}

export interface ShownLink {
  /** null: shown as text. */
  href: string | null;
  label: string;
}

export function alertLinks(
  links: readonly { href: string; text: string | null }[],
  images: readonly { src: string; href: string | null; alt: string | null }[],
): ShownLink[] {
  const raw = [
    ...links.map((link) => ({ href: link.href, label: link.text || link.href })),
    ...images.map((image) => ({ href: image.href || image.src, label: `Image: ${image.alt || image.src}` })),
  ];
  return raw.map(({ href, label }) => {
    const safe = safeHref(href);
    if (safe) return { href: safe, label };
    return { href: null, label: label === href ? href : `${label} (${href})` };
  });
}
