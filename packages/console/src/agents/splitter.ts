/**
 * The bottom panel's height: dragged on the splitter with the pointer, or stepped with the arrow
 * keys when the splitter has focus (role="separator" with aria-valuenow, as WAI-ARIA describes).
 */
import { useCallback, useState, type KeyboardEvent, type PointerEvent } from "react";

const MIN = 120;
const STEP = 24;
const KEY = "outpost.panelHeight";

function maxHeight(): number {
  return Math.max(MIN, Math.round(window.innerHeight * 0.85));
}

export function useSplitter(initial = 320) {
  const [height, setHeightRaw] = useState(() => Number(sessionStorage.getItem(KEY)) || initial);
  const setHeight = useCallback((value: number) => {
    const clamped = Math.min(maxHeight(), Math.max(MIN, Math.round(value)));
    sessionStorage.setItem(KEY, String(clamped));
    setHeightRaw(clamped);
  }, []);

  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault();
    const startY = event.clientY;
    const startHeight = height;
    const target = event.currentTarget;
    target.setPointerCapture(event.pointerId);
    const move = (e: globalThis.PointerEvent) => setHeight(startHeight + (startY - e.clientY));
    const up = () => {
      target.removeEventListener("pointermove", move);
      target.removeEventListener("pointerup", up);
    };
    target.addEventListener("pointermove", move);
    target.addEventListener("pointerup", up);
  };

  const onKeyDown = (event: KeyboardEvent<HTMLDivElement>) => {
    if (event.key === "ArrowUp") setHeight(height + STEP);
    else if (event.key === "ArrowDown") setHeight(height - STEP);
    else if (event.key === "Home") setHeight(maxHeight());
    else if (event.key === "End") setHeight(MIN);
    else return;
    event.preventDefault();
  };

  return { height, min: MIN, max: maxHeight(), onPointerDown, onKeyDown };
}
