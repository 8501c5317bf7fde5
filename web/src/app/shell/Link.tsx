import type { AnchorHTMLAttributes, MouseEvent } from "react";
import { navigate } from "./router";

type Click = Pick<globalThis.MouseEvent, "defaultPrevented" | "button" | "metaKey" | "ctrlKey" | "shiftKey" | "altKey" | "preventDefault">;

/** A plain left click on a link inside the app is followed without a reload; a click that asks
 * for a new tab or window (a modifier, another button) is left to the browser. */
export function followInApp(event: Click, href: string): void {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  event.preventDefault();
  navigate(href);
}

/** A link inside the app: a real href (open in a new tab works), followed without a reload. */
export function Link({ href, onClick, ...rest }: AnchorHTMLAttributes<HTMLAnchorElement> & { href: string }) {
  const follow = (event: MouseEvent<HTMLAnchorElement>) => {
    onClick?.(event);
    followInApp(event, href);
  };
  return <a href={href} onClick={follow} {...rest} />;
}
