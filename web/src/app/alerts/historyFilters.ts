// History's filters live in the address (/history?status=RESOLVED&text=disk), so a search can be
// shared and survives a reload. Pure: tested on its own.
import type { AlertStatus, HistoryQueryVariables, Priority } from "../../gql/graphql";

export interface HistoryFilters {
  /** "RESOLVED" (the default), "OPEN" or "ANY". */
  status: "RESOLVED" | "OPEN" | "ANY";
  priority: Priority | "";
  sourceId: string;
  teamId: string;
  text: string;
}

const STATUSES: Record<HistoryFilters["status"], AlertStatus[] | null> = {
  RESOLVED: ["RESOLVED"],
  OPEN: ["PENDING", "ACCEPTED"],
  ANY: null,
};

export function readFilters(params: URLSearchParams): HistoryFilters {
  const status = params.get("status");
  const priority = params.get("priority");
  return {
    status: status === "OPEN" || status === "ANY" ? status : "RESOLVED",
    priority: priority === "HIGH" || priority === "LOW" ? priority : "",
    sourceId: params.get("source") ?? "",
    teamId: params.get("team") ?? "",
    text: params.get("text") ?? "",
  };
}

export function filtersToSearch(filters: HistoryFilters): string {
  const params = new URLSearchParams();
  if (filters.status !== "RESOLVED") params.set("status", filters.status);
  if (filters.priority) params.set("priority", filters.priority);
  if (filters.sourceId) params.set("source", filters.sourceId);
  if (filters.teamId) params.set("team", filters.teamId);
  if (filters.text.trim()) params.set("text", filters.text.trim());
  const search = params.toString();
  return search ? `?${search}` : "";
}

export function historyVariables(filters: HistoryFilters, after: string | null): HistoryQueryVariables {
  return {
    status: STATUSES[filters.status],
    priority: filters.priority || null,
    sourceId: filters.sourceId || null,
    teamId: filters.teamId || null,
    text: filters.text.trim() || null,
    after,
  };
}
