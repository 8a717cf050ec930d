// Pieces of the S3 objects page: the breadcrumb of a folder path, a
// download link and the "Create folder" form.
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { useEffect, useState } from "preact/hooks";
import { describeError, s3 } from "../../aws";
import { BASE } from "../../config";
import { Field } from "../ui";
import { downloadUrl, LINK_SECONDS } from "./s3presign";

export const folderHref = (bucket: string, prefix: string) =>
  `${BASE}/s3/${encodeURIComponent(bucket)}${prefix ? `?prefix=${encodeURIComponent(prefix)}` : ""}`;

/** S3 buckets › bucket › a › b (each a link but the last). */
export function Breadcrumb({ bucket, prefix }: { bucket: string; prefix: string }) {
  const parts = prefix.split("/").filter(Boolean);
  const crumbs: [string, string][] = [
    ["S3 buckets", `${BASE}/s3`],
    [bucket, folderHref(bucket, "")],
    ...parts.map((p, i): [string, string] => [p, folderHref(bucket, `${parts.slice(0, i + 1).join("/")}/`)]),
  ];
  return (
    <nav class="breadcrumb" aria-label="Breadcrumb">
      <ol>
        {crumbs.map(([label, href], i) => (
          <li key={href}>
            {i === crumbs.length - 1 ? (
              <span aria-current="page">{label}</span>
            ) : (
              <a href={href}>{label}</a>
            )}
          </li>
        ))}
      </ol>
    </nav>
  );
}

/**
 * A presigned GET as a real link (keyboard, "copy link"). Signed again when
 * used after half its lifetime, so a page left open still downloads.
 */
export function DownloadLink({ bucket, objectKey }: { bucket: string; objectKey: string }) {
  const [link, setLink] = useState<{ url: string; at: number }>();
  const [error, setError] = useState<string>();
  const sign = () =>
    downloadUrl(bucket, objectKey).then(
      (url) => setLink({ url, at: Date.now() }),
      (e) => setError(describeError(e)),
    );
  useEffect(() => void sign(), [bucket, objectKey]);
  const refreshIfOld = () => {
    if (link && Date.now() - link.at > (LINK_SECONDS * 1000) / 2) void sign();
  };
  const name = objectKey.slice(objectKey.lastIndexOf("/") + 1);
  if (error) return <span class="field-error">Download unavailable: {error}</span>;
  return (
    <a
      class="button"
      href={link?.url}
      download={name}
      aria-label={`Download ${name}`}
      onMouseEnter={refreshIfOld}
      onFocus={refreshIfOld}
    >
      Download
    </a>
  );
}

/** A folder is what the S3 console makes: an empty object whose key ends in "/". */
export function CreateFolder({ bucket, prefix, onCreated }: { bucket: string; prefix: string; onCreated: () => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const trimmed = name.trim().replace(/\/+$/, "");
  const invalid = trimmed.includes("/") ? "A folder name cannot contain “/”." : undefined;
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await s3().send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}${trimmed}/`, Body: "" }));
      setName("");
      onCreated();
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel storage-form" aria-labelledby="create-folder-title" onSubmit={submit}>
      <h2 id="create-folder-title">Create folder</h2>
      <Field label="Folder name" id="folder-name" error={invalid ?? error}>
        <input id="folder-name" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <button type="submit" class="primary" disabled={busy || !trimmed || !!invalid}>
        Create folder
      </button>
    </form>
  );
}
