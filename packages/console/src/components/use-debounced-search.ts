/** Search text for a request: debounced so typing does not send one request per key. */
import { useEffect, useState } from "react";

/** `text` trimmed, once it has stayed unchanged for 250 ms (the first render sees it as given). */
export function useDebouncedSearch(text: string): string {
  const [settled, setSettled] = useState(text);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(text.trim()), 250);
    return () => clearTimeout(timer);
  }, [text]);
  return settled;
}
