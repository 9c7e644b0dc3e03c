/**
 * Live updates: one EventSource per signed-in tab on GET /api/v1/events (the token rides in the
 * query because EventSource cannot set headers). Views subscribe to the change types they show and
 * refetch only the affected rows; nothing in the console polls.
 */
import { createContext, useContext, useEffect, useRef, type ReactNode } from "react";

export type ChangeType = "agent.updated" | "job.updated" | "pool.updated";
export interface ChangeEvent {
  type: ChangeType;
  id: string;
}
type Listener = (event: ChangeEvent) => void;

class ChangeFeed {
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ChangeEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

const FeedContext = createContext<ChangeFeed | null>(null);

export function ChangeFeedProvider({ token, children }: { token: string; children: ReactNode }) {
  const feed = useRef(new ChangeFeed()).current;
  useEffect(() => {
    const source = new EventSource(`/api/v1/events?token=${encodeURIComponent(token)}`);
    source.onmessage = (msg) => {
      try {
        const event = JSON.parse(msg.data as string) as ChangeEvent;
        if (event && typeof event.id === "string") feed.emit(event);
      } catch {
        // A frame we do not understand is ignored; the next refresh shows the truth.
      }
    };
    // EventSource reconnects by itself after a dropped connection.
    return () => source.close();
  }, [token, feed]);
  return <FeedContext.Provider value={feed}>{children}</FeedContext.Provider>;
}

/** Calls `onChange` for each pushed change of one of `types`; the latest callback is always used. */
export function useChanges(types: ChangeType[], onChange: (event: ChangeEvent) => void): void {
  const feed = useContext(FeedContext);
  const callback = useRef(onChange);
  callback.current = onChange;
  const key = types.join(",");
  useEffect(() => {
    if (!feed) return undefined;
    const wanted = new Set(key.split(","));
    return feed.subscribe((event) => {
      if (wanted.has(event.type)) callback.current(event);
    });
  }, [feed, key]);
}
