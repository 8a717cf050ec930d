// S3 locations of a job (s3://bucket/key) and links a browser can follow:
// presigned GetObject URLs against the server's S3 (the storage pages'
// presigner: path-style, the session's temporary credentials).
export { LINK_SECONDS, downloadUrl as presignGet } from "../components/storage/s3presign";

export function parseS3Uri(uri: string | undefined): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri ?? "");
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1) || key;
}
