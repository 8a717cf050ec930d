// Presigned S3 URLs for the browser's own transfers: uploads by
// XMLHttpRequest (the only browser API that reports upload progress byte by
// byte) and downloads by a plain link. Signed by the AWS SDK's presigner
// with the session's temporary credentials; nothing is signed by hand.
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { s3, watchSession } from "../../aws";
import { region } from "../../config";
import { session } from "../../session";

/** The client and the session (access key) it was made for; see aws.ts. */
let client: { key: string | undefined; c: S3Client } | null = null;

/**
 * The console's S3 client, except that it adds checksums only where S3
 * requires them: by default the SDK would presign a PutObject/UploadPart URL
 * with the CRC32 of an *empty* body (it cannot see the bytes the browser
 * will send), and S3 would refuse the real upload. Multipart calls go
 * through it too, so the upload does not ask for per-part checksums that
 * presigned parts cannot carry.
 */
export function transferClient(): S3Client {
  const key = session()?.accessKeyId;
  if (!client || client.key !== key) {
    const c = watchSession(
      new S3Client({
        region,
        endpoint: location.origin,
        forcePathStyle: true,
        credentials: s3().config.credentials,
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
        maxAttempts: 1,
      }),
    );
    client = { key, c };
  }
  return client.c;
}

/** How long a presigned link stays valid (it also ends with the session). */
export const LINK_SECONDS = 3600;

export function downloadUrl(bucket: string, key: string): Promise<string> {
  const filename = key.slice(key.lastIndexOf("/") + 1) || key;
  return getSignedUrl(
    transferClient(),
    new GetObjectCommand({
      Bucket: bucket,
      Key: key,
      // AWS sends the file as an attachment named like the object; the
      // link's `download` attribute does the same where a server ignores it.
      ResponseContentDisposition: `attachment; filename*=UTF-8''${encodeURIComponent(filename)}`,
    }),
    { expiresIn: LINK_SECONDS },
  );
}

export const putUrl = (bucket: string, key: string) =>
  getSignedUrl(transferClient(), new PutObjectCommand({ Bucket: bucket, Key: key }), { expiresIn: LINK_SECONDS });

export const partUrl = (bucket: string, key: string, uploadId: string, partNumber: number) =>
  getSignedUrl(
    transferClient(),
    new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber: partNumber }),
    { expiresIn: LINK_SECONDS },
  );

export { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand };
