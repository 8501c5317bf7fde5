// The timeline the alert page shows: newest first, older pages loaded on request.
export interface Entry {
  id: string;
  kind: string;
  text: string;
  at: string;
}

export interface TimelinePageData {
  edges: readonly { node: Entry }[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

export interface Timeline {
  /** Newest first. */
  entries: Entry[];
  endCursor: string | null;
  hasOlder: boolean;
}

/** The newest page just received, plus the older pages loaded before when they join it with no
 * gap (more entries may have arrived in between than one page holds: then only the new page). */
export function joinTimeline(kept: Timeline | null, page: TimelinePageData): Timeline {
  const entries = page.edges.map((edge) => edge.node);
  const fresh: Timeline = { entries, endCursor: page.pageInfo.endCursor, hasOlder: page.pageInfo.hasNextPage };
  const oldestNew = entries.at(-1);
  const newestKept = kept?.entries[0];
  if (!kept || !fresh.hasOlder || !oldestNew || !newestKept) return fresh;
  const older = kept.entries.filter((entry) => Number(entry.id) < Number(oldestNew.id));
  if (Number(newestKept.id) < Number(oldestNew.id) || older.length === 0) return fresh;
  return { entries: [...entries, ...older], endCursor: kept.endCursor, hasOlder: kept.hasOlder };
}

/** An older page appended, if it continues from where `timeline` ends; otherwise unchanged. */
export function appendOlder(timeline: Timeline, askedAfter: string | null, page: TimelinePageData): Timeline {
  if (timeline.endCursor !== askedAfter) return timeline;
  return {
    entries: [...timeline.entries, ...page.edges.map((edge) => edge.node)],
    endCursor: page.pageInfo.endCursor,
    hasOlder: page.pageInfo.hasNextPage,
  };
}
