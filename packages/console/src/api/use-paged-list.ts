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

export function usePagedList<T extends { id: string }>(fetchPage: (cursor: string | null) => Promise<Page<T>>, key: string): PagedList<T> {
  const [items, setItems] = useState<T[]>([]);
  const [nextCursor, setNextCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [loadingMore, setLoadingMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [updatedAt, setUpdatedAt] = useState<Date | null>(null);
  const generation = useRef(0);
  const fetchRef = useRef(fetchPage);
  fetchRef.current = fetchPage;

  const reload = useCallback(() => {
    const gen = ++generation.current;
    setLoading(true);
    setError(null);
    fetchRef.current(null).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems(page.items);
        setNextCursor(page.nextCursor);
        setUpdatedAt(new Date());
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(errorText(err));
        setLoading(false);
      },
    );
  }, []);

  useEffect(reload, [key, reload]);

  const loadMore = useCallback(() => {
    if (!nextCursor || loadingMore) return;
    const gen = generation.current;
    setLoadingMore(true);
    fetchRef.current(nextCursor).then(
      (page) => {
        if (gen !== generation.current) return;
        setItems((prev) => {
          const seen = new Set(prev.map((r) => r.id));
          return [...prev, ...page.items.filter((r) => !seen.has(r.id))];
        });
        setNextCursor(page.nextCursor);
        setUpdatedAt(new Date());
        setLoadingMore(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(errorText(err));
        setLoadingMore(false);
      },
    );
  }, [nextCursor, loadingMore]);

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
  const generation = useRef(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  const reload = useCallback((quiet = false) => {
    const gen = ++generation.current;
    if (!quiet) setLoading(true);
    setError(null);
    loadRef.current().then(
      (value) => {
        if (gen !== generation.current) return;
        setData(value);
        setLoading(false);
      },
      (err: unknown) => {
        if (gen !== generation.current) return;
        setError(errorText(err));
        setLoading(false);
      },
    );
  }, []);
  useEffect(() => reload(), [key, reload]);
  return { data, error, loading, reload, setData };
}
