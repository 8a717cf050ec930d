// A client of Slipway's readiness API (docs/readiness.md): AWS JSON 1.1,
// `SlipwayReadiness_20261201.DescribeReadinessReport`, signed for
// `sagemaker` on the page's own origin. No AWS SDK for JavaScript client
// exists for it (it is Slipway's own service; boto3 and the AWS CLI read
// its botocore model), so this signs with the SDK's own SigV4 signer and
// SHA-256 (the browser's WebCrypto, as the SDK clients do) and posts with
// `fetch`. Errors come back in the SDK's form (an Error named after the
// AWS code), so `describeError` and the session watch treat them alike.
import { Sha256 } from "@smithy/core/checksum";
import { HttpRequest } from "@smithy/core/transport";
import { SignatureV4 } from "@smithy/signature-v4";
import { credentials, endSessionOn } from "./aws";
import { region } from "./config";

export type ReportStatus = "NotStarted" | "InProgress" | "Completed" | "Failed";
export type Severity = "BlocksListing" | "BreaksBuyers" | "Advice";
export type Category = "Listing" | "Image" | "VulnerabilityScan" | "Batch" | "RealTime" | "Network";

export interface Check {
  Category: Category;
  Status: "Passed" | "Found" | "Skipped";
  Reason?: string;
  DurationInMilliseconds?: number;
}

export interface Finding {
  FindingId: string;
  Category: Category;
  Severity: Severity;
  Title: string;
  Subject?: string;
  Evidence?: string[];
  Fix: string;
}

export interface ImageFacts {
  Role?: string;
  Image?: string;
  InSellerRegistry?: boolean;
  Digest?: string;
  Platform?: string;
  SizeInBytes?: number;
  Layers?: number;
  User?: string;
  Entrypoint?: string[];
  Cmd?: string[];
  ScanStatus?: string;
}

export interface RealTime {
  InstanceType?: string;
  EndpointName?: string;
  Invocations?: number;
  InvocationErrors?: number;
  StartupInMilliseconds?: number;
  PingP50InMilliseconds?: number;
  PingMaxInMilliseconds?: number;
  InvocationP50InMilliseconds?: number;
  InvocationP99InMilliseconds?: number;
  InvocationMaxInMilliseconds?: number;
  LargestBodyAcceptedInBytes?: number;
  SmallestBodyRefusedInBytes?: number;
}

export interface NetworkActivity {
  Container?: string;
  LogGroupName?: string;
  LogStreamName?: string;
  Attempts?: string[];
}

/** DescribeReadinessReport's answer (the botocore model's shape; times in epoch seconds). */
export interface ReadinessReport {
  ResourceArn: string;
  ResourceType?: string;
  ReportStatus: ReportStatus;
  ValidationStatus?: string;
  ListingReady?: boolean;
  Summary?: Record<Severity, number>;
  Checks?: Check[];
  Findings?: Finding[];
  Images?: ImageFacts[];
  RealTime?: RealTime;
  NetworkActivity?: NetworkActivity[];
  StartTime?: number;
  EndTime?: number;
  FailureReason?: string;
}

const TARGET = "SlipwayReadiness_20261201.DescribeReadinessReport";

/** An AWS error answer, named as the SDK names its exceptions. */
export class ReadinessApiError extends Error {
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
// so one signer serves every session of the tab.
let signer: SignatureV4 | undefined;

function sigv4(): SignatureV4 {
  signer ??= new SignatureV4({ service: "sagemaker", region, credentials, sha256: Sha256 });
  return signer;
}

/** The readiness report of a model package or algorithm ARN of the signed-in account. */
export async function describeReadinessReport(resourceArn: string): Promise<ReadinessReport> {
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
      "x-amz-target": TARGET,
    },
    body: JSON.stringify({ ResourceArn: resourceArn }),
  });
  const signed = await sigv4().sign(request);
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
    const e = new ReadinessApiError(errorCode(body, response), errorMessage(body, response, text), response.status);
    endSessionOn(e);
    throw e;
  }
  return body as unknown as ReadinessReport;
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
