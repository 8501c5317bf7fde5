import { expect, it } from "vitest";
import { alertLinks, safeHref } from "./links";

it("makes only http(s) links clickable", () => {
  expect(safeHref("https://runbooks.example/a?b=1")).toBe("https://runbooks.example/a?b=1");
  expect(safeHref("javascript:alert(1)")).toBeNull();
  expect(safeHref("not a url")).toBeNull();
  expect(
    alertLinks(
      [{ href: "https://r.example/", text: "Runbook" }, { href: "javascript:x()", text: "<b>x</b>" }],
      [{ src: "https://g.example/p.png", href: null, alt: "p99" }],
    ),
  ).toEqual([
    { href: "https://r.example/", label: "Runbook" },
    { href: null, label: "<b>x</b> (javascript:x())" },
    { href: "https://g.example/p.png", label: "Image: p99" },
  ]);
});
