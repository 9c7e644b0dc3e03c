/** Pieces every table shares: sortable headers (aria-sort), the actions column header, Load more, and a row-click guard. */
import type { MouseEvent, ReactNode } from "react";

export type Order = "asc" | "desc";
export interface SortState<K extends string> {
  sort: K;
  order: Order;
}

interface SortHeaderProps<K extends string> {
  label: string;
  column: K;
  state: SortState<K>;
  onSort: (next: SortState<K>) => void;
  className?: string;
}

export function SortHeader<K extends string>({ label, column, state, onSort, className }: SortHeaderProps<K>) {
  const active = state.sort === column;
  const ariaSort = active ? (state.order === "asc" ? "ascending" : "descending") : "none";
  return (
    <th scope="col" aria-sort={ariaSort} className={className}>
      <button
        type="button"
        className="sort-btn"
        onClick={() => onSort({ sort: column, order: active && state.order === "asc" ? "desc" : "asc" })}
        aria-label={`Sort by ${label}`}
      >
        {label}
        <span className={active ? "sort-arrow active" : "sort-arrow"} aria-hidden="true">
          {active ? (state.order === "asc" ? "▲" : "▼") : "↕"}
        </span>
      </button>
    </th>
  );
}

/** The header of a row-actions column: no visible text, but a name for screen readers. */
export function ActionsHeader() {
  return (
    <th scope="col" className="col-actions">
      <span className="sr-only">Actions</span>
    </th>
  );
}

export function LoadMore({ hasMore, loading, onClick, label = "Load more" }: { hasMore: boolean; loading: boolean; onClick: () => void; label?: string }) {
  if (!hasMore) return null;
  return (
    <div className="load-more">
      <button type="button" className="btn" onClick={onClick} disabled={loading}>
        {loading ? "Loading…" : label}
      </button>
    </div>
  );
}

/** True when a click landed on a link, checkbox, button or menu inside the row: those never open the row. */
export function isInteractiveClick(event: MouseEvent): boolean {
  const target = event.target as HTMLElement;
  return Boolean(target.closest("a, button, input, label, select, [data-no-row-click], [role=menu], [role=dialog]"));
}

export function TableWrap({ children, label }: { children: ReactNode; label: string }) {
  return (
    <div className="table-wrap" role="region" aria-label={label} tabIndex={0}>
      {children}
    </div>
  );
}
