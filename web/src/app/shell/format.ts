// Times as the viewer reads them: in their browser's time zone and locale. One formatter per
// locale and zone: `toLocaleString` with options builds a new one per call, 141 ms for the two
// times of 500 rows in Chromium against 2 ms with one kept.
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(locale?: string, timeZone?: string): Intl.DateTimeFormat {
  const key = `${locale ?? ""}|${timeZone ?? ""}`;
  let found = formatters.get(key);
  if (found === undefined) {
    found = new Intl.DateTimeFormat(locale, { dateStyle: "short", timeStyle: "medium", timeZone });
    formatters.set(key, found);
  }
  return found;
}

export function formatTime(iso: string, locale?: string, timeZone?: string): string {
  return formatter(locale, timeZone).format(new Date(iso));
}

/** Makes the viewer's formatter ahead of use. A page's first Intl object loads the browser's
 * locale and time-zone data: 20 to 90 ms in Chromium, once per page, whatever is formatted. Done
 * while the page waits for its first data (main.tsx), that cost is not paid between the data's
 * arrival and the list on screen. */
export function prepareTimeFormat(): void {
  formatter();
}

/** "in 3 min", "5 min ago": how far `iso` is from `now`, to the minute. */
export function relativeTime(iso: string, now: number): string {
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  if (minutes === 0) return "now";
  const size = Math.abs(minutes) >= 120 ? `${Math.round(Math.abs(minutes) / 60)} h` : `${Math.abs(minutes)} min`;
  return minutes > 0 ? `in ${size}` : `${size} ago`;
}
