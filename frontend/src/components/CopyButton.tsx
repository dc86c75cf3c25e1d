import { useState } from "react";

/** Copies `text`; says so for a moment (and to screen readers). */
export default function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
    } catch {
      setCopied(false);
    }
    window.setTimeout(() => setCopied(null), 2000);
  };
  return (
    <>
      <button type="button" className="button secondary small" onClick={() => void copy()}>
        {label}
      </button>
      <span className="copy-result" role="status">
        {copied === true ? "Copied" : copied === false ? "Copying failed: select the text and copy it" : ""}
      </span>
    </>
  );
}
