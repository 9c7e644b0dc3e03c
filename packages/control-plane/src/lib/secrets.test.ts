import { describe, expect, it } from "vitest";
import { crc32, digestSecret, generateSecret, isWellFormedSecret, secretKindOf } from "./secrets.js";

describe("secret format", () => {
  it("makes PATs of opat_, 32 base62 characters and a 6-character checksum", () => {
    const t = generateSecret("pat");
    expect(t).toMatch(/^opat_[0-9A-Za-z]{38}$/);
    expect(isWellFormedSecret("pat", t)).toBe(true);
    expect(secretKindOf(t)).toBe("pat");
  });

  it("never repeats a secret", () => {
    const seen = new Set(Array.from({ length: 500 }, () => generateSecret("pat")));
    expect(seen.size).toBe(500);
  });

  it("refuses a wrong prefix, a changed character, a bad checksum, a short or non-base62 body", () => {
    const t = generateSecret("pat");
    expect(isWellFormedSecret("pat", t.replace("opat_", "oagt_"))).toBe(false);
    expect(isWellFormedSecret("pat", t.replace("opat_", "xpat_"))).toBe(false);
    const flipped = t.slice(0, 10) + (t[10] === "a" ? "b" : "a") + t.slice(11);
    expect(isWellFormedSecret("pat", flipped)).toBe(false);
    expect(isWellFormedSecret("pat", `${t.slice(0, -1)}${t.endsWith("0") ? "1" : "0"}`)).toBe(false);
    expect(isWellFormedSecret("pat", "opat_abc")).toBe(false);
    expect(isWellFormedSecret("pat", `${t.slice(0, 20)}-${t.slice(21)}`)).toBe(false);
    expect(isWellFormedSecret("pat", "")).toBe(false);
  });

  it("computes the standard CRC32", () => {
    expect(crc32("123456789")).toBe(0xcbf43926);
  });

  it("digests with the install secret, so another install cannot match", () => {
    const t = generateSecret("agent");
    expect(digestSecret("a", t)).not.toBe(digestSecret("b", t));
    expect(digestSecret("a", t)).toMatch(/^[0-9a-f]{64}$/);
  });
});
