/**
 * deploy/grafana-dashboard.json is built on metrics that exist: every metric name its queries use
 * is one outpost-server's /metrics or the agent's metrics.ts defines.
 */
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

const read = (p: string) => readFileSync(new URL(p, import.meta.url), "utf8");

it("queries only metrics that outpost-server or outpost-agent define", () => {
  const dashboard = JSON.parse(read("../../../deploy/grafana-dashboard.json")) as { panels: { targets: { expr: string }[] }[] };
  const defined = read("../src/modules/metrics/metrics.registry.ts") + read("../../daemon/src/metrics.ts");
  const used = new Set(dashboard.panels.flatMap((p) => p.targets.flatMap((t) => t.expr.match(/outpost_[a-z_]+/g) ?? [])));
  expect(used.size).toBeGreaterThan(10);
  for (const name of used) {
    const base = name.replace(/_(bucket|count|sum)$/, "");
    expect(defined, `${name} in the dashboard`).toContain(`"${base}"`);
  }
});
