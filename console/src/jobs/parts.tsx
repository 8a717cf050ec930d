// Small pieces the job and model pages share.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
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
 * A Stop button: asks to confirm, then calls `stop` (StopTrainingJob,
 * StopTransformJob). The status moves to Stopping through the page's poll.
 */
export function StopButton({ noun, stop, onStopped }: { noun: string; stop: () => Promise<unknown>; onStopped: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <>
      <button
        type="button"
        class="danger"
        disabled={busy}
        onClick={async () => {
          if (!window.confirm(`Stop this ${noun}? It cannot be resumed.`)) return;
          setBusy(true);
          setError(undefined);
          try {
            await stop();
            onStopped();
          } catch (e) {
            setError(describeError(e));
          } finally {
            setBusy(false);
          }
        }}
      >
        {busy ? "Stopping…" : "Stop"}
      </button>
      {error && <ErrorBox error={error} title="The job could not be stopped." />}
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
