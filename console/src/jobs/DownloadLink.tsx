import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { describeError } from "../aws";
import { LINK_SECONDS, baseName, presignGet } from "./s3";

/**
 * A link that downloads s3://`bucket`/`objectKey`. Signing is local (no request),
 * so the link is signed on mount and again before it expires.
 */
export function DownloadLink({
  bucket,
  objectKey,
  children,
}: {
  bucket: string;
  objectKey: string;
  children?: ComponentChildren;
}) {
  const [href, setHref] = useState<string>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    let gone = false;
    const sign = () =>
      presignGet(bucket, objectKey).then(
        (u) => !gone && (setHref(u), setError(undefined)),
        (e) => !gone && setError(describeError(e)),
      );
    sign();
    const timer = window.setInterval(sign, (LINK_SECONDS / 2) * 1000);
    return () => {
      gone = true;
      window.clearInterval(timer);
    };
  }, [bucket, objectKey]);
  if (error) return <span class="field-error">The download link could not be made: {error}</span>;
  return (
    <a class="download" href={href} download={baseName(objectKey)} aria-disabled={href ? undefined : "true"}>
      {children ?? `Download ${baseName(objectKey)}`}
    </a>
  );
}
