import { DeleteObjectCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { s3 } from "../../aws";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { Breadcrumb, CreateFolder, DownloadLink, folderHref } from "../../components/storage/ObjectParts";
import { UploadPanel } from "../../components/storage/UploadPanel";
import { ErrorBox, Loading, PageHeader } from "../../components/ui";
import { formatBytes, formatTime } from "../../format";
import { useLoad } from "../../hooks";

const PAGE_SIZE = 200;

/** Route: /s3/:bucket?prefix=a/b/ — one folder of a bucket, S3 console style. */
export default function Objects() {
  const { params, query } = useRoute();
  const bucket = params.bucket;
  const prefix = query.prefix ?? "";
  // Continuation tokens of the pages before this one, for this folder.
  const [paging, setPaging] = useState<{ prefix: string; tokens: (string | undefined)[] }>({ prefix, tokens: [undefined] });
  const tokens = paging.prefix === prefix ? paging.tokens : [undefined];
  const token = tokens[tokens.length - 1];
  const [creatingFolder, setCreatingFolder] = useState(false);
  // Objects change under other clients too (jobs write outputs): poll.
  // `reload` keeps the rows on screen while the new listing loads.
  const { data, error, loading, reload } = useLoad(
    () =>
      s3().send(
        new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, Delimiter: "/", ContinuationToken: token, MaxKeys: PAGE_SIZE }),
      ),
    [bucket, prefix, token],
    10000,
  );
  const folders = data?.CommonPrefixes ?? [];
  // The folder's own placeholder object ("a/b/") is the folder, not a file in it.
  const objects = (data?.Contents ?? []).filter((o) => o.Key !== prefix);
  const nameOf = (key: string) => key.slice(prefix.length);

  return (
    <>
      <Breadcrumb bucket={bucket} prefix={prefix} />
      <PageHeader title={prefix ? `${prefix.split("/").filter(Boolean).pop()}/` : bucket}>
        <button type="button" aria-expanded={creatingFolder} onClick={() => setCreatingFolder(!creatingFolder)}>
          Create folder
        </button>
      </PageHeader>
      {creatingFolder && (
        <CreateFolder
          bucket={bucket}
          prefix={prefix}
          onCreated={() => {
            setCreatingFolder(false);
            reload();
          }}
        />
      )}
      <UploadPanel bucket={bucket} prefix={prefix} onUploaded={reload} />
      <ErrorBox error={error} />
      <table class="list objects">
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Type</th>
            <th scope="col">Last modified</th>
            <th scope="col">Size</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {folders.map((f) => (
            <tr key={f.Prefix}>
              <td>
                <a href={folderHref(bucket, f.Prefix ?? "")}>{nameOf(f.Prefix ?? "")}</a>
              </td>
              <td>Folder</td>
              <td>—</td>
              <td>—</td>
              <td />
            </tr>
          ))}
          {objects.map((o) => {
            const key = o.Key ?? "";
            return (
              <tr key={key}>
                <td>{nameOf(key)}</td>
                <td>{key.includes(".") ? key.slice(key.lastIndexOf(".") + 1) : "—"}</td>
                <td>{formatTime(o.LastModified)}</td>
                <td>{formatBytes(o.Size)}</td>
                <td>
                  <div class="row-actions">
                    <DownloadLink bucket={bucket} objectKey={key} />
                    <ConfirmButton
                      label="Delete"
                      accessibleLabel={`Delete ${nameOf(key)}`}
                      title={`Delete ${nameOf(key)}?`}
                      confirmLabel="Delete object"
                      onConfirm={async () => {
                        await s3().send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
                        reload();
                      }}
                    >
                      <p>
                        <code>
                          s3://{bucket}/{key}
                        </code>{" "}
                        will be deleted for good: the bucket keeps no versions.
                      </p>
                    </ConfirmButton>
                  </div>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {loading && !data && <Loading />}
      {data && folders.length === 0 && objects.length === 0 && <p class="empty">No objects in this folder.</p>}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={tokens.length <= 1} onClick={() => setPaging({ prefix, tokens: tokens.slice(0, -1) })}>
          Previous
        </button>
        <span>Page {tokens.length}</span>
        <button
          type="button"
          disabled={!data?.NextContinuationToken}
          onClick={() => data?.NextContinuationToken && setPaging({ prefix, tokens: [...tokens, data.NextContinuationToken] })}
        >
          Next
        </button>
      </nav>
    </>
  );
}
