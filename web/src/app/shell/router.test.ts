import { expect, it } from "vitest";
import { parseRoute } from "./router";

it("reads paths and the old hash links alike", () => {
  expect(parseRoute("/", "", "")).toEqual({ page: "alerts" });
  expect(parseRoute("/alerts/12", "", "")).toEqual({ page: "alert", id: "12" });
  expect(parseRoute("/", "", "#/alerts/12")).toEqual({ page: "alert", id: "12" });
  const coverage = parseRoute("/", "", "#/coverage/request?start=a&schedules=1,2");
  expect(coverage.page).toBe("coverage");
  expect(coverage.page === "coverage" && coverage.params.get("schedules")).toBe("1,2");
  expect(parseRoute("/history", "?text=disk", "").page).toBe("history");
  expect(parseRoute("/oncall", "", "")).toEqual({ page: "oncall" });
  expect(parseRoute("/coverage", "", "")).toEqual({ page: "coverageRequests" });
  expect(parseRoute("/me", "", "")).toEqual({ page: "me" });
  const schedule = parseRoute("/schedules/4", "?week=2026-12-07", "");
  expect(schedule.page === "schedule" && [schedule.id, schedule.params.get("week")]).toEqual(["4", "2026-12-07"]);
  expect(parseRoute("/schedules/x", "", "").page).toBe("notFound");
  expect(parseRoute("/nope", "", "").page).toBe("notFound");
});

it("reads the admin console's sections and invitation links", () => {
  expect(parseRoute("/admin", "", "")).toMatchObject({ page: "admin", section: null, id: null });
  expect(parseRoute("/admin/users", "", "")).toMatchObject({ page: "admin", section: "users", id: null });
  const schedule = parseRoute("/admin/schedules/7", "?weeks=4", "");
  expect(schedule.page === "admin" && [schedule.section, schedule.id, schedule.params.get("weeks")]).toEqual(["schedules", "7", "4"]);
  expect(parseRoute("/admin/support-hours/new", "", "")).toMatchObject({ page: "admin", section: "support-hours", id: "new" });
  expect(parseRoute("/admin/chat", "", "")).toMatchObject({ page: "admin", section: "chat", id: null });
  expect(parseRoute("/admin/nothing-here", "", "").page).toBe("notFound");
  expect(parseRoute("/invite/abc%2Fdef", "", "")).toEqual({ page: "invite", token: "abc/def" });
});

it("reads a chat card's signed action link", () => {
  const act = parseRoute("/chat/act", "?alert=12&action=accept&expires=1800000000&signature=ab", "");
  expect(act.page === "chatAct" && [act.params.get("alert"), act.params.get("action"), act.params.get("signature")]).toEqual(["12", "accept", "ab"]);
  expect(parseRoute("/chat/other", "", "").page).toBe("notFound");
});
