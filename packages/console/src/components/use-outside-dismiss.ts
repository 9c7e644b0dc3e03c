/** Closing a menu or popover when the pointer goes down anywhere outside it. */
import { useEffect, type RefObject } from "react";

/** While `open`, a mousedown outside `root` closes it through `setOpen` (a state setter, so stable). */
export function useOutsideDismiss(open: boolean, root: RefObject<HTMLElement | null>, setOpen: (open: boolean) => void): void {
  useEffect(() => {
    if (!open) return undefined;
    const outside = (e: MouseEvent) => {
      if (!root.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", outside);
    return () => document.removeEventListener("mousedown", outside);
  }, [open, root, setOpen]);
}
