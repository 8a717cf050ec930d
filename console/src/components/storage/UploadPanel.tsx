// Upload files into the folder being shown: a file input (keyboard and
// tests) and a drop zone (the mouse), each file with its own progress bar,
// its outcome and a Cancel button while it runs.
import { useRef, useState } from "preact/hooks";
import { describeError } from "../../aws";
import { formatBytes } from "../../format";
import { isCancelled, uploadFile } from "./upload";

interface Row {
  id: number;
  key: string;
  size: number;
  loaded: number;
  state: "Uploading" | "Uploaded" | "Cancelled" | "Failed";
  error?: string;
  cancel?: () => void;
}

let nextId = 0;

export function UploadPanel({ bucket, prefix, onUploaded }: { bucket: string; prefix: string; onUploaded: () => void }) {
  const [rows, setRows] = useState<Row[]>([]);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  const update = (id: number, patch: Partial<Row>) => setRows((rs) => rs.map((r) => (r.id === id ? { ...r, ...patch } : r)));

  const start = (files: FileList | null) => {
    if (!files) return;
    for (const file of Array.from(files)) {
      const id = ++nextId;
      const key = prefix + file.name;
      const up = uploadFile(bucket, key, file, (loaded) => update(id, { loaded }));
      setRows((rs) => [{ id, key, size: file.size, loaded: 0, state: "Uploading", cancel: up.cancel }, ...rs]);
      up.done.then(
        () => {
          update(id, { state: "Uploaded", loaded: file.size, cancel: undefined });
          onUploaded();
        },
        (e) =>
          update(id, isCancelled(e) ? { state: "Cancelled", cancel: undefined } : { state: "Failed", error: describeError(e), cancel: undefined }),
      );
    }
    // The same file may be chosen again.
    if (input.current) input.current.value = "";
  };

  return (
    <section class="panel upload" aria-labelledby="upload-title">
      <h2 id="upload-title">Upload</h2>
      <div
        class={`drop-zone${over ? " over" : ""}`}
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={(e) => {
          e.preventDefault();
          setOver(false);
          start(e.dataTransfer?.files ?? null);
        }}
      >
        <label for="upload-files">Files to upload</label>
        <input id="upload-files" type="file" multiple ref={input} onChange={(e) => start((e.target as HTMLInputElement).files)} />
        <span class="hint">
          or drop files here. They are uploaded to <code>s3://{bucket}/{prefix}</code>
        </span>
      </div>
      {rows.length > 0 && (
        <ul class="uploads" aria-label="Uploads">
          {rows.map((r) => (
            <li key={r.id}>
              <span class="key">{r.key}</span>
              <progress max={r.size || 1} value={r.size ? r.loaded : r.state === "Uploaded" ? 1 : 0} aria-label={`Upload of ${r.key}`} />
              <span class="state" aria-live="polite">
                {r.state === "Uploading"
                  ? `${r.size ? Math.floor((100 * r.loaded) / r.size) : 0} % of ${formatBytes(r.size)}`
                  : r.state === "Failed"
                    ? `Failed: ${r.error}`
                    : `${r.state} (${formatBytes(r.size)})`}
              </span>
              {r.cancel && (
                <button type="button" onClick={r.cancel} aria-label={`Cancel upload of ${r.key}`}>
                  Cancel
                </button>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
