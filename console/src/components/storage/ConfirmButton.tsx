// A destructive action behind a confirmation: a modal <dialog> (focus is
// trapped and Escape cancels, by the browser) that names what will go and
// shows the API's answer if it refuses.
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { describeError } from "../../aws";
import { ErrorBox } from "../ui";

let nextId = 0;

export function ConfirmButton({
  label,
  accessibleLabel,
  title,
  confirmLabel,
  busyLabel = "Deleting…",
  onConfirm,
  children,
}: {
  /** The button's text: "Delete". */
  label: string;
  /** A fuller name for assistive technology and tests: "Delete report.csv". */
  accessibleLabel?: string;
  title: string;
  /** The dialog's button: "Delete bucket". */
  confirmLabel: string;
  /** The dialog's button while `onConfirm` runs. */
  busyLabel?: string;
  /** Resolves when done; a rejection is shown in the dialog. */
  onConfirm: () => Promise<unknown>;
  children?: ComponentChildren;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [id] = useState(() => `confirm-${++nextId}`);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm();
      dialog.current?.close();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button
        type="button"
        class="danger"
        aria-label={accessibleLabel}
        onClick={() => {
          setError(undefined);
          dialog.current?.showModal();
        }}
      >
        {label}
      </button>
      <dialog ref={dialog} class="confirm" aria-labelledby={`${id}-title`}>
        <h2 id={`${id}-title`}>{title}</h2>
        {children}
        <ErrorBox error={error} />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="primary danger" disabled={busy} onClick={confirm}>
            {busy ? busyLabel : confirmLabel}
          </button>
        </div>
      </dialog>
    </>
  );
}
