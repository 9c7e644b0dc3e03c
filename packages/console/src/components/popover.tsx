/** A small click-to-open popover anchored under its trigger; Escape or a click outside closes it. */
import { useRef, useState, type ReactNode } from "react";
import { useOutsideDismiss } from "./use-outside-dismiss";

interface PopoverProps {
  trigger: ReactNode;
  label: string;
  className?: string;
  children: ReactNode;
}

export function Popover({ trigger, label, className, children }: PopoverProps) {
  const [open, setOpen] = useState(false);
  const root = useRef<HTMLSpanElement>(null);
  const button = useRef<HTMLButtonElement>(null);
  useOutsideDismiss(open, root, setOpen);
  return (
    <span
      className="popover-root"
      ref={root}
      data-no-row-click
      onKeyDown={(e) => {
        if (e.key === "Escape" && open) {
          e.stopPropagation();
          setOpen(false);
          button.current?.focus();
        }
      }}
    >
      <button
        ref={button}
        type="button"
        className={className}
        aria-label={label}
        aria-expanded={open}
        aria-haspopup="dialog"
        onClick={(e) => {
          e.stopPropagation();
          setOpen((v) => !v);
        }}
      >
        {trigger}
      </button>
      {open && (
        <span className="popover" role="dialog" aria-label={label}>
          {children}
        </span>
      )}
    </span>
  );
}
