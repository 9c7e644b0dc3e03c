/** The selected run's detail panel. Placeholder until the run detail view lands (issue 5). */
export function RunDetail({ runId, onClose }: { runId: string; onClose: () => void }) {
  return (
    <aside className="detail-panel" aria-label="Run detail">
      <header>
        <h2>Run {runId}</h2>
        <button type="button" className="btn btn-small" onClick={onClose}>
          Close
        </button>
      </header>
    </aside>
  );
}
