// Uploads a browser File to S3 with real byte progress.
//
// Why presigned URLs + XMLHttpRequest rather than @aws-sdk/lib-storage:
// the SDK sends requests with fetch(), which reports no upload progress, so
// lib-storage's httpUploadProgress only moves when a whole part is done (a
// 7 MB file would jump from 0 % to 100 %). XHR's `upload.onprogress` counts
// bytes as they leave. The SDK still does all the signing (presigner) and
// the multipart control calls.
//
// Up to MULTIPART_THRESHOLD: one presigned PutObject. Larger files: a
// multipart upload whose parts are presigned UploadPart requests sent in
// parallel, then CompleteMultipartUpload; any failure or a cancel aborts
// the upload, so no orphaned parts are left.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  partUrl,
  putUrl,
  transferClient,
} from "./s3presign";

export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;
/** S3's floor is 5 MiB per part and 10,000 parts; 8 MiB parts go to 78 GiB. */
const MIN_PART = 8 * 1024 * 1024;
const PARALLEL_PARTS = 3;

export interface Upload {
  done: Promise<void>;
  cancel: () => void;
}

class Cancelled extends Error {
  constructor() {
    super("Upload cancelled.");
    this.name = "Cancelled";
  }
}

export function isCancelled(e: unknown): boolean {
  return e instanceof Cancelled;
}

/** `onProgress(loaded)` is called with bytes sent so far (of `file.size`). */
export function uploadFile(bucket: string, key: string, file: File, onProgress: (loaded: number) => void): Upload {
  const live = new Set<XMLHttpRequest>();
  let cancelled = false;
  const send = (url: string, body: Blob, progress: (n: number) => void, contentType?: string) => {
    if (cancelled) return Promise.reject(new Cancelled());
    return put(url, body, progress, contentType, live);
  };
  const done =
    file.size <= MULTIPART_THRESHOLD
      ? putUrl(bucket, key).then((url) => send(url, file, onProgress, file.type || "application/octet-stream")).then(() => {})
      : multipart(bucket, key, file, onProgress, send, () => cancelled);
  return {
    done,
    cancel: () => {
      cancelled = true;
      for (const x of live) x.abort();
    },
  };
}

async function multipart(
  bucket: string,
  key: string,
  file: File,
  onProgress: (loaded: number) => void,
  send: (url: string, body: Blob, progress: (n: number) => void) => Promise<XMLHttpRequest>,
  isCancelledNow: () => boolean,
): Promise<void> {
  const c = transferClient();
  const created = await c.send(
    new CreateMultipartUploadCommand({
      Bucket: bucket,
      Key: key,
      ContentType: file.type || "application/octet-stream",
    }),
  );
  const uploadId = created.UploadId!;
  const partSize = Math.max(MIN_PART, Math.ceil(file.size / 10000));
  const count = Math.ceil(file.size / partSize);
  const sent = new Array<number>(count).fill(0);
  const etags = new Array<string>(count);
  let next = 0;
  const report = () => onProgress(sent.reduce((a, b) => a + b, 0));
  const worker = async () => {
    while (next < count) {
      const i = next++;
      const url = await partUrl(bucket, key, uploadId, i + 1);
      const xhr = await send(url, file.slice(i * partSize, Math.min(file.size, (i + 1) * partSize)), (n) => {
        sent[i] = n;
        report();
      });
      const etag = xhr.getResponseHeader("ETag");
      if (!etag) throw new Error(`S3 answered part ${i + 1} without an ETag.`);
      etags[i] = etag;
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL_PARTS, count) }, worker));
    if (isCancelledNow()) throw new Cancelled();
    await c.send(
      new CompleteMultipartUploadCommand({
        Bucket: bucket,
        Key: key,
        UploadId: uploadId,
        MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) },
      }),
    );
  } catch (e) {
    // Best effort: the upload's own error is the one to show.
    await c.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId })).catch(() => {});
    throw e;
  }
}

/** A PUT of `body` to a presigned URL; rejects with S3's error code and message. */
function put(
  url: string,
  body: Blob,
  progress: (n: number) => void,
  contentType: string | undefined,
  live: Set<XMLHttpRequest>,
): Promise<XMLHttpRequest> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    live.add(xhr);
    xhr.open("PUT", url);
    if (contentType) xhr.setRequestHeader("Content-Type", contentType);
    xhr.upload.onprogress = (e) => progress(e.loaded);
    xhr.onload = () => {
      live.delete(xhr);
      if (xhr.status >= 200 && xhr.status < 300) {
        progress(body.size);
        resolve(xhr);
      } else reject(s3Error(xhr));
    };
    xhr.onerror = () => {
      live.delete(xhr);
      reject(new TypeError("The server cannot be reached."));
    };
    xhr.onabort = () => {
      live.delete(xhr);
      reject(new Cancelled());
    };
    xhr.send(body);
  });
}

/** S3's XML error document as an Error named by its Code (as the SDK names errors). */
function s3Error(xhr: XMLHttpRequest): Error {
  const doc = new DOMParser().parseFromString(xhr.responseText || "<Error/>", "application/xml");
  const code = doc.querySelector("Error > Code")?.textContent ?? `HTTP ${xhr.status}`;
  const e = new Error(doc.querySelector("Error > Message")?.textContent ?? xhr.statusText);
  e.name = code;
  return e;
}
