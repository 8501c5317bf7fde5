import { describe, expect, it } from "vitest";
import { assetsIn, cachePolicy, isAppPage } from "./shellCache";

describe("assetsIn", () => {
  it("finds the hashed scripts and styles a built page loads", () => {
    const html = `<link rel="manifest" href="/manifest.webmanifest" />
      <script type="module" crossorigin src="/assets/index-AMgEaswb.js"></script>
      <link rel="stylesheet" crossorigin href="/assets/index-CuXxOQAW.css">
      <link rel="modulepreload" href="/assets/index-AMgEaswb.js">`;
    expect(assetsIn(html)).toEqual(["/assets/index-AMgEaswb.js", "/assets/index-CuXxOQAW.css"]);
  });
});

describe("cachePolicy", () => {
  it("serves pages and hashed assets offline, never the API", () => {
    expect(cachePolicy("GET", "navigate", "/alerts/3")).toBe("page");
    expect(cachePolicy("GET", "navigate", "/")).toBe("page");
    expect(cachePolicy("GET", "no-cors", "/assets/index-x.js")).toBe("asset");
    expect(cachePolicy("POST", "cors", "/graphql")).toBe("network");
    expect(cachePolicy("GET", "navigate", "/graphql")).toBe("network");
    expect(cachePolicy("GET", "navigate", "/api/openapi.json")).toBe("network");
    expect(cachePolicy("POST", "cors", "/api/actions")).toBe("network");
  });
});

describe("isAppPage", () => {
  it("keeps only the app's page as the shell", () => {
    expect(isAppPage('<div id="root"></div><script type="module" crossorigin src="/assets/index-x.js"></script>')).toBe(true);
    expect(isAppPage('<form method="post" action="/api/actions/email"><button>Accept</button></form>')).toBe(false);
    expect(isAppPage('<div id="root"></div>')).toBe(false);
  });
});
