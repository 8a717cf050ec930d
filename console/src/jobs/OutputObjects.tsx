// The objects under a job's S3 output path (ListObjectsV2 by prefix), each
// with a download link; refreshed while the job runs, as outputs appear.
import { ListObjectsV2Command } from "@aws-sdk/client-s3";
import { useState } from "preact/hooks";
import { s3 } from "../aws";
import { ErrorBox, Loading } from "../components/ui";
import { formatBytes, formatTime } from "../format";
import { useLoad } from "../hooks";
import { DownloadLink } from "./DownloadLink";
import { parseS3Uri } from "./s3";

const PAGE = 200;

export function OutputObjects({ uri, pollMs }: { uri: string | undefined; pollMs: number }) {
  const loc = parseS3Uri(uri);
  // The job writes below "<path>/": keys of a sibling prefix are not its.
  const prefix = loc ? (loc.key && !loc.key.endsWith("/") ? `${loc.key}/` : loc.key) : "";
  const [tokens, setTokens] = useState<(string | undefined)[]>([undefined]);
  const token = tokens[tokens.length - 1];
  const { data, error } = useLoad(
    async () =>
      loc
        ? s3().send(new ListObjectsV2Command({ Bucket: loc.bucket, Prefix: prefix, ContinuationToken: token, MaxKeys: PAGE }))
        : undefined,
    [uri, token],
    pollMs,
  );
  if (!loc) return <p class="empty">The output path is not an S3 URI.</p>;
  if (error) return <ErrorBox error={error} title="The output objects could not be listed." />;
  if (!data) return <Loading />;
  const objects = data.Contents ?? [];
  return (
    <>
      {objects.length === 0 ? (
        <p class="empty">No output objects yet.</p>
      ) : (
        <table class="list" aria-label="Output objects">
          <thead>
            <tr>
              <th scope="col">Object</th>
              <th scope="col">Size</th>
              <th scope="col">Last modified</th>
              <th scope="col">Download</th>
            </tr>
          </thead>
          <tbody>
            {objects.map((o) => {
              const key = o.Key ?? "";
              return (
                <tr key={key}>
                  <td>
                    <code>{key.slice(prefix.length) || key}</code>
                  </td>
                  <td>{formatBytes(o.Size)}</td>
                  <td>{formatTime(o.LastModified)}</td>
                  <td>
                    <DownloadLink bucket={loc.bucket} objectKey={key}>
                      Download
                      <span class="visually-hidden"> {key.slice(prefix.length) || key}</span>
                    </DownloadLink>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
      {(tokens.length > 1 || data.IsTruncated) && (
        <nav class="pager" aria-label="Output pages">
          <button type="button" disabled={tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
            Previous
          </button>
          <span>Page {tokens.length}</span>
          <button
            type="button"
            disabled={!data.NextContinuationToken}
            onClick={() => data.NextContinuationToken && setTokens([...tokens, data.NextContinuationToken])}
          >
            Next
          </button>
        </nav>
      )}
    </>
  );
}
