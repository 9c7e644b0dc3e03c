/** An agent's labels as `key=value` chips (the agent list, its detail, the overview). */
export function LabelChips({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (!entries.length) return <span className="muted">—</span>;
  return (
    <span className="label-chips">
      {entries.map(([k, v]) => (
        <span key={k} className="label-chip mono" title={`${k}=${v}`}>
          {k}={v}
        </span>
      ))}
    </span>
  );
}
