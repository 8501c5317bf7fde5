// A tap on a notification while the app is open: the worker posts the alert's address to the
// page, whose router shows it. Shared by sw.ts (the type only) and register.ts, so nothing here
// ends up in a chunk the worker would have to import (it is a classic script).
/** The app's own address (path, query) for a same-origin URL, old `/#/alerts/<id>` links included. */
export function appPath(url: string, origin: string): string | null {
  try {
    const parsed = new URL(url, origin);
    if (parsed.origin !== origin) return null;
    return parsed.hash.startsWith("#/") ? parsed.hash.slice(1) : `${parsed.pathname}${parsed.search}`;
  } catch {
    return null;
  }
}

/** What the worker posts to an open window of the app: "show this address". */
export interface OpenMessage {
  type: "pagerline:open";
  url: string;
}

export const isOpenMessage = (value: unknown): value is OpenMessage =>
  typeof value === "object" && value !== null && (value as OpenMessage).type === "pagerline:open" && typeof (value as OpenMessage).url === "string";
