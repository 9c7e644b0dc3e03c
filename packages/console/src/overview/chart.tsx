/** A uPlot chart in a React box: bars or lines over x values, one series per entry, redrawn when data changes. */
import { useEffect, useRef } from "react";
import uPlot from "uplot";
import "uplot/dist/uPlot.min.css";

export type Series = { label: string; values: number[]; color: string };

/** xRange: the x axis's span (e.g. the last 24 h), else uPlot's from the data. The y axis starts at 0. */
export function Chart({ title, x, series, time = true, bars = false, height = 180, xLabels, xRange }: { title: string; x: number[]; series: Series[]; time?: boolean; bars?: boolean; height?: number; xLabels?: string[]; xRange?: [number, number] }) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return undefined;
    const paths = bars ? uPlot.paths.bars!({ size: [0.6, 40] }) : undefined;
    const plot = new uPlot(
      {
        width: Math.max(240, el.clientWidth),
        height,
        scales: {
          x: { time, ...(xRange ? { range: () => xRange } : xLabels ? { range: () => [-0.5, xLabels.length - 0.5] as [number, number] } : {}) },
          y: { range: (_u, _min, max) => [0, Math.max(1, Math.ceil(max * 1.1))] },
        },
        legend: { show: true },
        axes: [xLabels ? { values: (_u, ticks) => ticks.map((t) => (Number.isInteger(t) ? (xLabels[t] ?? "") : "")) } : {}, {}],
        series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, fill: bars ? s.color : undefined, width: 2, ...(paths ? { paths } : {}) }))],
      },
      [x, ...series.map((s) => s.values)],
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize({ width: Math.max(240, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [x, series, time, bars, height, xLabels, xRange]);
  return <div className="chart" role="img" aria-label={title} ref={box} />;
}
