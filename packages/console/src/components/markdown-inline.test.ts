import { describe, expect, it } from "vitest";
import { INLINE } from "./markdown-inline";

const tokens = (text: string) => [...text.matchAll(INLINE)].map((m) => m[0]);

describe("inline Markdown tokens", () => {
  it("finds code, bold, emphasis and links", () => {
    expect(tokens("see [docs](https://x.y/a_b) and `code` **bold** *em* _em_")).toEqual(["[docs](https://x.y/a_b)", "`code`", "**bold**", "*em*", "_em_"]);
  });

  it("scans a hostile 256 KiB line in linear time (a line of `[` was quadratic)", () => {
    const n = 256 * 1024;
    for (const line of ["[".repeat(n), "[a](".repeat(n / 4), "**a".repeat(n / 3), "_a".repeat(n / 2), "`".repeat(n)]) {
      const start = performance.now();
      tokens(line);
      expect(performance.now() - start, JSON.stringify(line.slice(0, 8))).toBeLessThan(1_000);
    }
  });
});
