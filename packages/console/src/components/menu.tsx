/** A row's action menu: a labelled button opening role="menu"; arrows move, Escape closes and returns focus. */
import { useEffect, useRef, useState, type KeyboardEvent } from "react";
import { MoreIcon } from "./icons";
import { useOutsideDismiss } from "./use-outside-dismiss";

export interface MenuItem {
  label: string;
  onSelect: () => void;
  danger?: boolean;
}

export function RowMenu({ label, items }: { label: string; items: MenuItem[] }) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLDivElement>(null);
  const button = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (open) root.current?.querySelector<HTMLButtonElement>("[role=menuitem]")?.focus();
  }, [open]);
  useOutsideDismiss(open, root, setOpen);

  function onKey(e: KeyboardEvent) {
    const entries = Array.from(root.current?.querySelectorAll<HTMLButtonElement>("[role=menuitem]") ?? []);
    const at = entries.indexOf(document.activeElement as HTMLButtonElement);
    if (e.key === "Escape") {
      e.stopPropagation();
      setOpen(false);
      button.current?.focus();
    } else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      entries[(at + step + entries.length) % entries.length]?.focus();
    }
  }

  return (
    <div className="menu" ref={root} onKeyDown={onKey} data-no-row-click>
      <button
        ref={button}
        type="button"
        className="icon-btn"
        aria-label={label}
        aria-haspopup="menu"
        aria-expanded={open}
        onClick={() => setOpen((v) => !v)}
      >
        <MoreIcon />
      </button>
      {open && (
        <div className="menu-list" role="menu" aria-label={label}>
          {items.map((item) => (
            <button
              key={item.label}
              type="button"
              role="menuitem"
              className={item.danger ? "menu-item menu-item-danger" : "menu-item"}
              onClick={() => {
                setOpen(false);
                item.onSelect();
              }}
            >
              {item.label}
            </button>
          ))}
        </div>
      )}
    </div>
  );
}
