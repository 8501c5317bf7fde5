// What the offline shell keeps: the page and the hashed assets it names. Pure, so Vitest checks it.

/** The same-origin /assets/ files a built index.html loads (scripts, styles, preloads). */
export function assetsIn(html: string): string[] {
  const found = new Set<string>();
  for (const match of html.matchAll(/(?:src|href)="(\/assets\/[^"?#]+)"/g)) {
    if (match[1]) found.add(match[1]);
  }
  return [...found];
}

/** Whether a page is the app's own (kept as the offline shell), not another page the server
 * sends (the email action page, GraphiQL), which must never become the shell. */
export function isAppPage(html: string): boolean {
  return html.includes('<div id="root">') && assetsIn(html).some((asset) => asset.endsWith(".js"));
}

/** Requests the worker answers from its cache: the page (any of the app's addresses, when the
 * network fails) and the hashed assets. GraphQL, the API and everything else go to the network. */
export function cachePolicy(method: string, mode: string, pathname: string): "page" | "asset" | "network" {
  if (method !== "GET") return "network";
  if (mode === "navigate") return pathname.startsWith("/api/") || pathname.startsWith("/graphql") || pathname.startsWith("/static/") ? "network" : "page";
  if (pathname.startsWith("/assets/")) return "asset";
  return "network";
}
