/** Copies text to the clipboard and says so; falls back to execCommand where the Clipboard API is refused. */
import { useState } from "react";
import { CopyIcon } from "./icons";

export async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    return;
  } catch {
    // Insecure context or permission refused: the old way still works on a user gesture.
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("The browser refused to copy.");
}

export function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <button
      type="button"
      className="icon-btn copy-btn"
      aria-label={label}
      title={copied ? "Copied" : label}
      data-no-row-click
      onClick={(e) => {
        e.stopPropagation();
        copyText(text).then(
          () => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          },
          () => setCopied(false),
        );
      }}
    >
      <CopyIcon />
      {copied && <span className="copied">Copied</span>}
    </button>
  );
}
