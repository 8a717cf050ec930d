// A client of Slipway's own AWS JSON 1.1 services (the readiness API, the
// Marketplace's buyer operations): `POST /` with `X-Amz-Target`, on the
// page's own origin. No AWS SDK for JavaScript client exists for them
// (they are Slipway's own; boto3 and the AWS CLI read their botocore
// models), so this signs with the SDK's own SigV4 signer and SHA-256 (the
// browser's WebCrypto, as the SDK clients do) and posts with `fetch`.
// Errors come back in the SDK's form (an Error named after the AWS code),
// so `describeError` and the session watch treat them alike.
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import { credentials, endSessionOn } from "./aws";
import { region } from "./config";

/** An AWS error answer, named as the SDK names its exceptions. */
export class AwsJsonError extends Error {
  constructor(
    name: string,
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = name;
  }
}

// `credentials` is asked again at every signing (the signer keeps no copy),
// so one signer per signing name serves every session of the tab.
const signers = new Map<string, SignatureV4>();

function sigv4(service: string): SignatureV4 {
  let s = signers.get(service);
  if (!s) {
    s = new SignatureV4({ service, region, credentials, sha256: Sha256 });
    signers.set(service, s);
  }
  return s;
}

/**
 * Calls `target` (`Prefix_VERSION.Operation`) with `input`, signed for
 * `service` (the SigV4 signing name); resolves to the answer's JSON.
 */
export async function callJson11<T>(service: string, target: string, input: unknown): Promise<T> {
  const url = new URL(location.origin);
  const request = new HttpRequest({
    method: "POST",
    protocol: url.protocol,
    hostname: url.hostname,
    port: url.port ? Number(url.port) : undefined,
    path: "/",
    headers: {
      host: url.host,
      "content-type": "application/x-amz-json-1.1",
      "x-amz-target": target,
    },
    body: JSON.stringify(input),
  });
  const signed = await sigv4(service).sign(request);
  // The browser sets Host itself and refuses it from a page; it sends the
  // same value that was signed.
  const headers = Object.fromEntries(Object.entries(signed.headers).filter(([k]) => k.toLowerCase() !== "host"));
  const response = await fetch(`${location.origin}/`, { method: "POST", headers, body: signed.body as string });
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    // Not JSON (a proxy's page): reported below with the HTTP status.
  }
  if (!response.ok) {
    const e = new AwsJsonError(errorCode(body, response), errorMessage(body, response, text), response.status);
    endSessionOn(e);
    throw e;
  }
  return body as unknown as T;
}

/**
 * The AWS JSON 1.1 error code: `__type` (possibly `namespace#Code` or
 * `Code:uri`, as the SDKs accept), else the `x-amzn-ErrorType` header.
 */
function errorCode(body: Record<string, unknown>, response: Response): string {
  const raw = (typeof body.__type === "string" && body.__type) || response.headers.get("x-amzn-errortype") || "";
  const code = raw.split(":")[0].split("#").pop() ?? "";
  return code || `HTTP ${response.status}`;
}

function errorMessage(body: Record<string, unknown>, response: Response, text: string): string {
  const m = body.message ?? body.Message;
  if (typeof m === "string" && m) return m;
  return text.slice(0, 200) || response.statusText || `The server answered ${response.status}.`;
}
