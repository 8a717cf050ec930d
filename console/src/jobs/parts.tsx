// Small pieces the job and model pages share.
import type { ComponentChildren } from "preact";
import { useRef, useState } from "preact/hooks";
import { describeError } from "../aws";
import { ErrorBox } from "../components/ui";
import { DownloadLink } from "./DownloadLink";
import { parseS3Uri } from "./s3";

/** A string map (hyperparameters, environment) as a two-column table. */
export function KeyValueTable({
  entries,
  keyLabel,
  valueLabel = "Value",
  empty,
}: {
  entries: Record<string, string> | undefined;
  keyLabel: string;
  valueLabel?: string;
  empty: string;
}) {
  const rows = Object.entries(entries ?? {}).sort(([a], [b]) => a.localeCompare(b));
  if (!rows.length) return <p class="empty">{empty}</p>;
  return (
    <table class="list">
      <thead>
        <tr>
          <th scope="col">{keyLabel}</th>
          <th scope="col">{valueLabel}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, v]) => (
          <tr key={k}>
            <td>
              <code>{k}</code>
            </td>
            <td>
              <code class="value">{v}</code>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** An s3:// URI, with a download link when it names one object. */
export function S3Object({ uri, label }: { uri: string | undefined; label?: string }) {
  const loc = parseS3Uri(uri);
  if (!uri) return <>—</>;
  return (
    <span class="s3-object">
      <code>{uri}</code>
      {loc && loc.key && !loc.key.endsWith("/") && (
        <span class="s3-download">
          <DownloadLink bucket={loc.bucket} objectKey={loc.key}>
            {label}
          </DownloadLink>
        </span>
      )}
    </span>
  );
}

/**
 * A Stop button: a modal dialog asks first (Escape cancels), then `stop`
 * (StopTrainingJob, StopTransformJob) runs; the API's refusal shows in the
 * dialog. The status then moves to Stopping through the page's poll.
 */
export function StopButton({ noun, name, stop, onStopped }: { noun: string; name: string; stop: () => Promise<unknown>; onStopped: () => void }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const confirm = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await stop();
      dialog.current?.close();
      onStopped();
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <button type="button" class="danger" onClick={() => (setError(undefined), dialog.current?.showModal())}>
        Stop
      </button>
      <dialog ref={dialog} class="confirm" aria-labelledby="stop-job-title">
        <h2 id="stop-job-title">Stop {noun}?</h2>
        <p>
          <strong>{name}</strong> stops now and cannot be resumed. What it wrote so far stays where it is.
        </p>
        <ErrorBox error={error} title="The job could not be stopped." />
        <div class="actions">
          <button type="button" onClick={() => dialog.current?.close()}>
            Cancel
          </button>
          <button type="button" class="primary danger" disabled={busy} onClick={confirm}>
            {busy ? "Stopping…" : `Stop ${noun}`}
          </button>
        </div>
      </dialog>
    </>
  );
}

/** The job's failure, above everything else. */
export function FailureReason({ reason, children }: { reason: string | undefined; children?: ComponentChildren }) {
  if (!reason) return null;
  return (
    <div class="error-box failure-reason" role="alert">
      <strong>Failure reason</strong>
      <pre>{reason}</pre>
      {children}
    </div>
  );
}
