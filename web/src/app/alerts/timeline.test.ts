import { describe, expect, it } from "vitest";
import { appendOlder, joinTimeline, type TimelinePageData } from "./timeline";

const page = (ids: number[], hasNextPage: boolean, endCursor: string | null): TimelinePageData => ({
  edges: ids.map((id) => ({ node: { id: String(id), kind: "REPEATED", text: `e${id}`, at: "2026-01-01T00:00:00Z" } })),
  pageInfo: { hasNextPage, endCursor },
});
const shown = (t: { entries: { id: string }[] }) => t.entries.map((e) => Number(e.id));

describe("timeline", () => {
  it("keeps the older pages when a newer first page joins them", () => {
    let t = joinTimeline(null, page([10, 9, 8], true, "c8"));
    t = appendOlder(t, "c8", page([7, 6], true, "c6"));
    t = joinTimeline(t, page([11, 10, 9], true, "c9"));
    expect(shown(t)).toEqual([11, 10, 9, 8, 7, 6]);
    expect(t.endCursor).toBe("c6");
  });

  it("starts again when too much arrived in between to join", () => {
    let t = joinTimeline(null, page([10, 9], true, "c9"));
    t = joinTimeline(t, page([20, 19], true, "c19"));
    expect(shown(t)).toEqual([20, 19]);
  });

  it("ignores an older page that no longer continues the timeline", () => {
    const t = joinTimeline(null, page([10, 9], true, "c9"));
    expect(appendOlder(t, "c5", page([4], false, null))).toBe(t);
  });
});
