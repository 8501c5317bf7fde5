// A router of a few routes (no library): the path is the state, links push history entries.
// Old alert links (`/#/alerts/<id>`, what notifications and the events API hand out) and the
// widget's `/#/coverage/request?...` land on their pages too.
import { useEffect, useState } from "react";

export type Route =
  | { page: "alerts" }
  | { page: "alert"; id: string }
  | { page: "history"; params: URLSearchParams }
  | { page: "coverage"; params: URLSearchParams }
  | { page: "oncall" }
  | { page: "coverageRequests" }
  | { page: "me" }
  | { page: "schedule"; id: string; params: URLSearchParams }
  | { page: "admin"; section: AdminSection | null; id: string | null; params: URLSearchParams }
  | { page: "invite"; token: string }
  | { page: "chatAct"; params: URLSearchParams }
  | { page: "notFound" };

/** The admin console's sections, each at /admin/<section>[/<id>]. */
export const ADMIN_SECTIONS = [
  "teams",
  "users",
  "schedules",
  "policies",
  "sources",
  "support-hours",
  "maintenance",
  "heartbeats",
  "actions",
  "feeds",
  "chat",
] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

function isAdminSection(name: string): name is AdminSection {
  return (ADMIN_SECTIONS as readonly string[]).includes(name);
}

export function parseRoute(pathname: string, search: string, hash: string): Route {
  if (hash.startsWith("#/")) {
    const [path = "", query = ""] = hash.slice(1).split("?");
    return parseRoute(path, query ? `?${query}` : "", "");
  }
  const params = new URLSearchParams(search);
  if (pathname === "/" || pathname === "/alerts" || pathname === "/alerts/") return { page: "alerts" };
  const alert = /^\/alerts\/(\d+)\/?$/.exec(pathname);
  if (alert?.[1]) return { page: "alert", id: alert[1] };
  if (pathname === "/history") return { page: "history", params };
  if (pathname === "/oncall") return { page: "oncall" };
  if (pathname === "/coverage") return { page: "coverageRequests" };
  if (pathname === "/me") return { page: "me" };
  const schedule = /^\/schedules\/(\d+)\/?$/.exec(pathname);
  if (schedule?.[1]) return { page: "schedule", id: schedule[1], params };
  if (pathname === "/coverage/request") return { page: "coverage", params };
  if (pathname === "/admin" || pathname === "/admin/") return { page: "admin", section: null, id: null, params };
  const admin = /^\/admin\/([a-z-]+)(?:\/([^/]+))?\/?$/.exec(pathname);
  if (admin?.[1] && isAdminSection(admin[1])) return { page: "admin", section: admin[1], id: admin[2] ? decodeURIComponent(admin[2]) : null, params };
  const invite = /^\/invite\/([^/]+)\/?$/.exec(pathname);
  if (invite?.[1]) return { page: "invite", token: decodeURIComponent(invite[1]) };
  // A chat card's signed button (Microsoft Teams): a page that asks before it acts.
  if (pathname === "/chat/act" || pathname === "/chat/act/") return { page: "chatAct", params };
  return { page: "notFound" };
}

function currentRoute(): Route {
  // An old hash link becomes the address it stands for, so links and reloads from here on see it.
  if (location.hash.startsWith("#/")) history.replaceState(null, "", location.hash.slice(1));
  return parseRoute(location.pathname, location.search, location.hash);
}

export function navigate(to: string): void {
  history.pushState(null, "", to);
  window.dispatchEvent(new PopStateEvent("popstate"));
}

export function useRoute(): Route {
  const [route, setRoute] = useState(currentRoute);
  useEffect(() => {
    const changed = () => setRoute(currentRoute());
    window.addEventListener("popstate", changed);
    window.addEventListener("hashchange", changed);
    return () => {
      window.removeEventListener("popstate", changed);
      window.removeEventListener("hashchange", changed);
    };
  }, []);
  return route;
}
