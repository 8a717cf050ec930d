// A client of Slipway's readiness API (docs/readiness.md): AWS JSON 1.1,
// `SlipwayReadiness_20261201.DescribeReadinessReport`, signed for
// `sagemaker` on the page's own origin, through the console's client of
// Slipway's own JSON services (`awsjson.ts`).
import { callJson11 } from "./awsjson";

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

/** The readiness report of a model package or algorithm ARN of the signed-in account. */
export function describeReadinessReport(resourceArn: string): Promise<ReadinessReport> {
  return callJson11<ReadinessReport>("sagemaker", TARGET, { ResourceArn: resourceArn });
}
