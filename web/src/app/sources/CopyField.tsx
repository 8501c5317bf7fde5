// A value to copy into another system (an integration URL, a key shown once): read-only text
// the viewer can select, and a button that puts it on the clipboard.
import { useState } from "react";

export function CopyField({ id, label, value }: { id: string; label: string; value: string }) {
  const [copied, setCopied] = useState("");
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied("Copied.");
    } catch {
      // No clipboard (an insecure origin, a refused permission): the text stays selectable.
      setCopied("Select the text and copy it.");
    }
  };
  return (
    <div className="copy-field">
      <label htmlFor={id}>{label}</label>
      <input id={id} readOnly value={value} onFocus={(event) => event.currentTarget.select()} />
      <button type="button" onClick={copy} aria-label={`Copy ${label}`}>
        Copy
      </button>
      <span role="status" aria-live="polite">
        {copied}
      </span>
    </div>
  );
}
