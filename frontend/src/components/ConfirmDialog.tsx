import { useEffect, useRef, type ReactNode } from "react";

interface Props {
  open: boolean;
  title: string;
  children: ReactNode;
  /** The confirming button's text: the action's name ("Revoke", "Disconnect"). */
  action: string;
  busy?: boolean;
  error?: string | null;
  onConfirm: () => void;
  onCancel: () => void;
}

/** An in-page confirmation (a modal <dialog>): Escape or "Cancel" closes it, focus returns. */
export default function ConfirmDialog({ open, title, children, action, busy, error, onConfirm, onCancel }: Props) {
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    const element = dialog.current;
    if (!element) return;
    if (open && !element.open) element.showModal();
    if (!open && element.open) element.close();
  }, [open]);

  return (
    // Named by aria-label, not by the heading's id: each island is its own Preact root, and
    // useId() repeats across roots, so two dialogs on one page would share a name.
    <dialog ref={dialog} className="confirm-dialog" aria-label={title} onClose={onCancel}>
      <h2>{title}</h2>
      <div className="confirm-body">{children}</div>
      {error && (
        <p className="field-error" role="alert">
          {error}
        </p>
      )}
      <div className="confirm-actions">
        <button type="button" className="button secondary" onClick={onCancel} autoFocus>
          Cancel
        </button>
        <button type="button" className="button danger" onClick={onConfirm} disabled={busy}>
          {action}
        </button>
      </div>
    </dialog>
  );
}
