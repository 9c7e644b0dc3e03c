/** Loading, empty and error states, so every list says what is going on. */
import type { ReactNode } from "react";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <div className="state state-loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      {label}
    </div>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="state state-empty">
      <strong>{title}</strong>
      {children && <div className="muted">{children}</div>}
    </div>
  );
}

export function ErrorState({ message, onRetry }: { message: string; onRetry?: () => void }) {
  return (
    <div className="state state-error" role="alert">
      <strong>Something went wrong.</strong>
      <span>{message}</span>
      {onRetry && (
        <button type="button" className="btn btn-small" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

interface ListStatesProps {
  list: { error: string | null; loading: boolean; items: readonly unknown[]; reload: () => void };
  loadingLabel: string;
  emptyTitle: string;
  children?: ReactNode;
}

/** A list's error (with retry), its first load, and its empty state; rows, when there are any, are the caller's. */
export function ListStates({ list, loadingLabel, emptyTitle, children }: ListStatesProps) {
  return (
    <>
      {list.error && <ErrorState message={list.error} onRetry={list.reload} />}
      {list.loading && list.items.length === 0 && !list.error && <Loading label={loadingLabel} />}
      {!list.loading && !list.error && list.items.length === 0 && <Empty title={emptyTitle}>{children}</Empty>}
    </>
  );
}
