// Times as the viewer reads them: in their browser's time zone and locale.
export function formatTime(iso: string, locale?: string, timeZone?: string): string {
  return new Date(iso).toLocaleString(locale, { dateStyle: "short", timeStyle: "medium", timeZone });
}

/** "in 3 min", "5 min ago": how far `iso` is from `now`, to the minute. */
export function relativeTime(iso: string, now: number): string {
  const minutes = Math.round((Date.parse(iso) - now) / 60_000);
  if (minutes === 0) return "now";
  const size = Math.abs(minutes) >= 120 ? `${Math.round(Math.abs(minutes) / 60)} h` : `${Math.abs(minutes)} min`;
  return minutes > 0 ? `in ${size}` : `${size} ago`;
}
