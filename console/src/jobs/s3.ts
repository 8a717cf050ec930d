// S3 locations of a job (s3://bucket/key) as links a browser can follow:
// presigned GetObject URLs against the server's S3 (path-style, the
// client in aws.ts), signed with the session's temporary credentials.
import { GetObjectCommand } from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3 } from "../aws";

/** How long a link stays valid; the component signs a new one before. */
export const LINK_SECONDS = 3600;

export function parseS3Uri(uri: string | undefined): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(uri ?? "");
  return m ? { bucket: m[1], key: m[2] } : undefined;
}

export function baseName(key: string): string {
  return key.slice(key.lastIndexOf("/") + 1) || key;
}

/** A URL that downloads the object (as an attachment named like the key). */
export function presignGet(bucket: string, key: string): Promise<string> {
  const name = baseName(key).replace(/["\\]/g, "_");
  return getSignedUrl(
    s3(),
    new GetObjectCommand({ Bucket: bucket, Key: key, ResponseContentDisposition: `attachment; filename="${name}"` }),
    { expiresIn: LINK_SECONDS },
  );
}
