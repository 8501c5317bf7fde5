import { useEffect } from "react";

/** The tab's title names the page, so tabs, history and screen readers can tell them apart. */
export function usePageTitle(title: string): void {
  useEffect(() => {
    document.title = title ? `${title} · pagerline` : "pagerline";
  }, [title]);
}
