/**
 * A cursor-paged list: first page on (re)load, `loadMore` appends the next page, `replaceRow`
 * patches one row in place after a pushed change. A stale answer (filters changed meanwhile) is
 * dropped by generation number, so fast typing never shows the wrong page.
 */
import { useCallback, useEffect, useRef, useState } from "react";
import { errorText, type Page } from "./client";

export interface PagedList<T> {
  items: T[];
  nextCursor: string | null;
  loading: boolean;
  loadingMore: boolean;
  error: string | null;
  updatedAt: Date | null;
  reload: () => void;
  loadMore: () => void;
  replaceRow: (id: string, row: T | null) => void;
}

/**
 * Runs loads whose answers count only while they are the latest: "restart" starts a new generation
 * (dropping every answer still on its way), "continue" joins the current one (a next page belongs to
 * the list it extends). An answer from an older generation is ignored, result or error alike.
 */
function useLatest() {
  const generation = useRef(0);
  return useCallback(
    <V>(mode: "restart" | "continue", start: () => Promise<V>, onValue: (value: V) => void, onError: (err: unknown) => void) => {
      const gen = mode === "restart" ? ++generation.current : generation.current;
      start().then(
        (value) => {
          if (gen === generation.current) onValue(value);
        },
        (err: unknown) => {
          if (gen === generation.current) onError(err);
        },
      );
    },
    [],
  );
}

export function usePagedList<T extends { id: string }>(fetchPage: (cursor: string | null) => Promise<Page<T>>, key: string): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const latest = useLatest();
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const reload = useCallback(() => {
    setLoading(true);
    setError(null);
    // A page load still under way is dropped with the old list, so it must not leave "Loading…" behind.
    setLoadingMore(false);
    latest(
      "restart",
      () => fetchRef.current(null),
      (page) => {
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setUpdatedAt(new Date());
        setLoading(false);
      },
      (err) => {
        setError(errorText(err));
        setLoading(false);
      },
    );
  }, [latest]);

  useEffect(reload, [key, reload]);

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    setLoadingMore(true);
    latest(
      "continue",
      () => fetchRef.current(nextCursor),
      (page) => {
        setItems((prev) => {
          const seen = new Set(prev.map((r) => r.id));
          return [...prev, ...page.items.filter((r) => !seen.has(r.id))];
        });
        setNextCursor(page.nextCursor);
        setUpdatedAt(new Date());
        setLoadingMore(false);
      },
      (err) => {
        setError(errorText(err));
        setLoadingMore(false);
      },
    );
  }, [nextCursor, loadingMore, latest]);

  const replaceRow = useCallback((id: string, row: T | null) => {
    setItems((prev) => (row ? prev.map((r) => (r.id === id ? row : r)) : prev.filter((r) => r.id !== id)));
    setUpdatedAt(new Date());
  }, []);

  return { items, nextCursor, loading, loadingMore, error, updatedAt, reload, loadMore, replaceRow };
}

/** Loads one thing (a detail, a tab) and reloads when `key` changes. */
export function useLoad<T>(load: () => Promise<T>, key: string) {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const latest = useLatest();
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback(
    (quiet = false) => {
      if (!quiet) setLoading(true);
      setError(null);
      latest(
        "restart",
        () => loadRef.current(),
        (value) => {
          setData(value);
          setLoading(false);
        },
        (err) => {
          setError(errorText(err));
          setLoading(false);
        },
      );
    },
    [latest],
  );
  useEffect(() => reload(), [key, reload]);
  return { data, error, loading, reload, setData };
}
