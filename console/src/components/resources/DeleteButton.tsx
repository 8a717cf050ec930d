// A delete button that asks first (a modal dialog naming what goes), shows
// the API's refusal in the dialog, and moves on once it is gone.
import { useRef, useState } from "preact/hooks";
import { describeError } from "../../aws";
import { ErrorBox } from "../ui";

export function DeleteButton({
  noun,
  name,
  remove,
  after,
  warning,
}: {
  /** Lower case: "model package". */
  noun: string;
  name: string;
  remove: () => Promise<unknown>;
  after: () => void;
  warning?: string;
}) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await remove();
      dialog.current?.close();
      after();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => dialog.current?.showModal()}>
        Delete
      </button>
      <dialog ref={dialog} class="confirm" aria-labelledby="confirm-delete-title">
        <h2 id="confirm-delete-title">
          Delete {noun} {name}?
        </h2>
        <p>{warning ?? "This cannot be undone."}</p>
        <ErrorBox error={error} title="Not deleted." />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="primary danger-fill" disabled={busy} onClick={confirm}>
            {busy ? "Deleting…" : `Delete ${noun}`}
          </button>
        </div>
      </dialog>
    </>
  );
}
