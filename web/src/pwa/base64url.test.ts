import { describe, expect, it } from "vitest";
import { base64UrlBytes, sameKey } from "./base64url";

describe("base64UrlBytes", () => {
  it("decodes unpadded base64url, as the server sends its key", () => {
    expect([...base64UrlBytes("-_8")]).toEqual([0xfb, 0xff]);
    expect([...base64UrlBytes("AQID")]).toEqual([1, 2, 3]);
    expect(base64UrlBytes("B" + "A".repeat(86)).length).toBe(65); // an uncompressed P-256 point
  });

  it("tells whether a subscription used this key", () => {
    const key = base64UrlBytes("AQID");
    expect(sameKey(new Uint8Array([1, 2, 3]).buffer, key)).toBe(true);
    expect(sameKey(new Uint8Array([1, 2, 4]).buffer, key)).toBe(false);
    expect(sameKey(null, key)).toBe(false);
  });
});
