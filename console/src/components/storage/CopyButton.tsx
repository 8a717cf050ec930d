// Copy-to-clipboard, for commands and URIs a person pastes into a terminal.
import { useEffect, useState } from "preact/hooks";

async function copy(text: string): Promise<void> {
  // The Clipboard API needs a secure context (https or loopback); a console
  // served over plain http on another host falls back to a selection copy.
  if (navigator.clipboard && window.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  const ok = document.execCommand("copy");
  area.remove();
  if (!ok) throw new Error("copy refused");
}

export function CopyButton({ text, what }: { text: string; what: string }) {
  const [state, setState] = useState<"" | "Copied" | "Copy failed: select and copy by hand">("");
  useEffect(() => {
    if (!state) return;
    const t = window.setTimeout(() => setState(""), 2000);
    return () => window.clearTimeout(t);
  }, [state]);
  return (
    <button
      type="button"
      class="copy"
      aria-label={`Copy ${what}`}
      onClick={() => copy(text).then(() => setState("Copied"), () => setState("Copy failed: select and copy by hand"))}
    >
      {state || "Copy"}
    </button>
  );
}

/** A command (or URI) to paste, with its copy button. */
export function Command({ text, what }: { text: string; what: string }) {
  return (
    <div class="command">
      <pre>
        <code>{text}</code>
      </pre>
      <CopyButton text={text} what={what} />
    </div>
  );
}
