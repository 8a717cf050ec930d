// An S3 location: free text, or an object or folder chosen from the
// server's own S3 (ListBuckets, then ListObjectsV2 one folder at a time).
import { ListBucketsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { useState } from "preact/hooks";
import { s3 } from "../../aws";
import { formatBytes } from "../../format";
import { useLoad } from "../../hooks";
import { ErrorBox, Field, Loading } from "../ui";

export function S3Field({
  id,
  label,
  hint,
  value,
  onChange,
  error,
  folders = true,
}: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
  /** Whether a folder (a key prefix) is a valid choice, not only an object. */
  folders?: boolean;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <div class="picker-row">
        <input
          id={id}
          value={value}
          spellcheck={false}
          placeholder="s3://bucket/key"
          onInput={(e) => onChange((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
        />
        <button type="button" aria-expanded={open} aria-controls={`${id}-browser`} onClick={() => setOpen(!open)}>
          Browse S3
        </button>
      </div>
      {open && (
        <S3Browser
          id={`${id}-browser`}
          folders={folders}
          start={value}
          onPick={(uri) => {
            onChange(uri);
            setOpen(false);
          }}
        />
      )}
    </Field>
  );
}

/** Where to start browsing: the bucket and folder of the field's current value. */
function startAt(uri: string): { bucket?: string; prefix: string } {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri);
  if (!m) return { prefix: "" };
  return { bucket: m[1], prefix: m[2].slice(0, m[2].lastIndexOf("/") + 1) };
}

function S3Browser({ id, folders, start, onPick }: { id: string; folders: boolean; start: string; onPick: (u: string) => void }) {
  const [at, setAt] = useState(() => startAt(start));
  return (
    <div class="picker" id={id} role="region" aria-label="S3 browser">
      <p class="crumbs">
        <button type="button" class="link" onClick={() => setAt({ prefix: "" })}>
          All buckets
        </button>
        {at.bucket && (
          <>
            {" / "}
            <button type="button" class="link" onClick={() => setAt({ bucket: at.bucket, prefix: "" })}>
              {at.bucket}
            </button>
          </>
        )}
        {at.prefix
          .split("/")
          .filter(Boolean)
          .map((part, i, parts) => (
            <span key={i}>
              {" / "}
              <button
                type="button"
                class="link"
                onClick={() => setAt({ bucket: at.bucket, prefix: `${parts.slice(0, i + 1).join("/")}/` })}
              >
                {part}
              </button>
            </span>
          ))}
      </p>
      {at.bucket ? (
        <Folder key={`${at.bucket}/${at.prefix}`} bucket={at.bucket} prefix={at.prefix} folders={folders} onOpen={(p) => setAt({ bucket: at.bucket, prefix: p })} onPick={onPick} />
      ) : (
        <Buckets onOpen={(b) => setAt({ bucket: b, prefix: "" })} />
      )}
    </div>
  );
}

function Buckets({ onOpen }: { onOpen: (bucket: string) => void }) {
  const buckets = useLoad(async () => (await s3().send(new ListBucketsCommand({}))).Buckets ?? [], []);
  return (
    <>
      <ErrorBox error={buckets.error} />
      {buckets.loading && <Loading />}
      {buckets.data?.length === 0 && <p class="empty">No buckets yet.</p>}
      <ul class="picker-list">
        {buckets.data?.map((b) => (
          <li key={b.Name}>
            <button type="button" class="link" onClick={() => onOpen(b.Name!)}>
              {b.Name}
            </button>
          </li>
        ))}
      </ul>
    </>
  );
}

function Folder({
  bucket,
  prefix,
  folders,
  onOpen,
  onPick,
}: {
  bucket: string;
  prefix: string;
  folders: boolean;
  onOpen: (prefix: string) => void;
  onPick: (uri: string) => void;
}) {
  const [pages, setPages] = useState<(string | undefined)[]>([undefined]);
  const token = pages[pages.length - 1];
  const listing = useLoad(
    () =>
      s3().send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, Delimiter: "/", MaxKeys: 200, ContinuationToken: token }),
      ),
    [bucket, prefix, token],
  );
  const here = `s3://${bucket}/${prefix}`;
  const l = listing.data;
  return (
    <>
      {folders && (
        <p>
          <button type="button" onClick={() => onPick(here)}>
            Use {here}
          </button>
        </p>
      )}
      <ErrorBox error={listing.error} />
      {listing.loading && <Loading />}
      {l && !l.CommonPrefixes?.length && !l.Contents?.length && <p class="empty">Nothing here.</p>}
      <ul class="picker-list">
        {l?.CommonPrefixes?.map((p) => (
          <li key={p.Prefix}>
            <button type="button" class="link" onClick={() => onOpen(p.Prefix!)}>
              {p.Prefix!.slice(prefix.length)}
            </button>
          </li>
        ))}
        {l?.Contents?.filter((o) => o.Key !== prefix).map((o) => (
          <li key={o.Key}>
            <button type="button" onClick={() => onPick(`s3://${bucket}/${o.Key}`)}>
              Use {o.Key!.slice(prefix.length)}
            </button>{" "}
            <span class="muted">{formatBytes(o.Size)}</span>
          </li>
        ))}
      </ul>
      {(pages.length > 1 || l?.NextContinuationToken) && (
        <p>
          <button type="button" disabled={pages.length <= 1} onClick={() => setPages(pages.slice(0, -1))}>
            Previous
          </button>{" "}
          <button type="button" disabled={!l?.NextContinuationToken} onClick={() => setPages([...pages, l!.NextContinuationToken])}>
            More
          </button>
        </p>
      )}
    </>
  );
}
