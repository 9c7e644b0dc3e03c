/** Toast notifications in one polite live region; errors stay until dismissed, others fade after a while. */
import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from "react";
import { CloseIcon } from "./icons";

type Kind = "success" | "error" | "info";
interface Toast {
  id: number;
  kind: Kind;
  text: string;
}

type Notify = (kind: Kind, text: string) => void;
const ToastContext = createContext<Notify>(() => undefined);

const VISIBLE_MS = 6000;

export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const nextId = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((prev) => prev.filter((t) => t.id !== id)), []);
  const notify = useCallback<Notify>(
    (kind, text) => {
      const id = nextId.current++;
      setToasts((prev) => [...prev.slice(-4), { id, kind, text }]);
      if (kind !== "error") setTimeout(() => dismiss(id), VISIBLE_MS);
    },
    [dismiss],
  );
  return (
    <ToastContext.Provider value={notify}>
      {children}
      <div className="toasts" role="status" aria-live="polite" aria-label="Notifications">
        {toasts.map((t) => (
          <div key={t.id} className={`toast toast-${t.kind}`} data-kind={t.kind}>
            <span>{t.text}</span>
            <button type="button" className="icon-btn" aria-label="Dismiss notification" onClick={() => dismiss(t.id)}>
              <CloseIcon />
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export function useToast(): Notify {
  return useContext(ToastContext);
}
