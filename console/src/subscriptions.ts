// Slipway's Marketplace buyer operations (docs/marketplace.md, "Buyers"):
// AWS JSON 1.1 under `SlipwayMarketplace_20261201.`, signed for
// `aws-marketplace` like the Catalog API. AWS has no public API for
// accepting an offer; these are Slipway's, described by the botocore model
// `sdk/botocore-data/slipwaymarketplace/`. Only the lazily loaded
// Marketplace pages import this module.
import { callJson11 } from "./awsjson";

const SERVICE = "aws-marketplace";
const PREFIX = "SlipwayMarketplace_20261201.";

/** An agreement between a buyer and a product's seller. */
export interface Subscription {
  AgreementId: string;
  ProductId: string;
  ProductTitle?: string;
  OfferId?: string;
  BuyerAccountId: string;
  SellerAccountId: string;
  /** The caller's side of it. */
  Role: "Buyer" | "Seller";
  Status: "ACTIVE" | "CANCELLED";
  /** Epoch seconds. */
  StartTime: number;
  EndTime?: number;
}

const call = <T>(op: string, input: object) => callJson11<T>(SERVICE, PREFIX + op, input);

/** Accepts the product's offer (an active subscription is answered again, not doubled). */
export async function subscribe(productId: string): Promise<Subscription> {
  return (await call<{ Subscription: Subscription }>("Subscribe", { ProductId: productId })).Subscription;
}

/** Ends the caller's subscription to the product. */
export async function unsubscribe(productId: string): Promise<Subscription> {
  return (await call<{ Subscription: Subscription }>("Unsubscribe", { ProductId: productId })).Subscription;
}

/** The subscriptions the caller is party to, newest first; `role` keeps one side. */
export async function listSubscriptions(filter: { role?: "Buyer" | "Seller"; productId?: string } = {}): Promise<Subscription[]> {
  const input: Record<string, string> = {};
  if (filter.role) input.Role = filter.role;
  if (filter.productId) input.ProductId = filter.productId;
  return (await call<{ Subscriptions?: Subscription[] }>("ListSubscriptions", input)).Subscriptions ?? [];
}

/** The time of an epoch-seconds member, as a Date. */
export const epoch = (s: number | undefined) => (s === undefined ? undefined : new Date(s * 1000));

/** One priced usage line (GetUsage), as the API answers it. */
export interface UsageRecord {
  ProductId: string;
  /** Absent for the seller's own use of its product. */
  AgreementId?: string;
  BuyerAccountId: string;
  SellerAccountId: string;
  SellersOwnUse: boolean;
  UsageType: "Training" | "BatchTransform" | "RealTimeInference" | "InferenceCount";
  Dimension: string;
  InstanceType?: string;
  InstanceCount: number;
  /** Epoch seconds. */
  StartTime: number;
  EndTime: number;
  DurationSeconds: number;
  Quantity: number;
  /** "Hrs" or "Count". */
  Unit: string;
  Price: number;
  Currency: string;
  Amount: number;
  ResourceArn: string;
  CopyArn?: string;
}

/** The usage lines the caller is party to (as the account that ran them, or their seller). */
export async function getUsage(filter: { productId?: string; agreementId?: string } = {}): Promise<UsageRecord[]> {
  const input: Record<string, string> = {};
  if (filter.productId) input.ProductId = filter.productId;
  if (filter.agreementId) input.AgreementId = filter.agreementId;
  return (await call<{ UsageRecords?: UsageRecord[] }>("GetUsage", input)).UsageRecords ?? [];
}

/** The columns of `slipway marketplace usage --output csv` (docs/marketplace.md "Metering"), so one export reads like the other. */
const CSV_COLUMNS = [
  "product_id", "agreement_id", "buyer_account_id", "seller_account_id", "sellers_own_use", "usage_type",
  "dimension", "instance_type", "instance_count", "start_time", "end_time", "duration_seconds", "quantity",
  "unit", "price", "currency", "amount", "resource_arn",
];

/** Usage lines as RFC 4180 CSV: times in RFC 3339 UTC, quantity and amount with six decimals, as the CLI writes them. */
export function usageCsv(records: UsageRecord[]): string {
  const time = (s: number) => new Date(Math.floor(s) * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
  // A leading formula character is defused (names come from users), then
  // the field is quoted if it needs it: as the server's CSV writer does.
  const cell = (raw: string) => {
    const v = /^[=+\-@]/.test(raw) && Number.isNaN(Number(raw)) ? `'${raw}` : raw;
    return /[",\r\n]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
  };
  const rows = records.map((r) =>
    [
      r.ProductId, r.AgreementId ?? "", r.BuyerAccountId, r.SellerAccountId, String(r.SellersOwnUse), r.UsageType,
      r.Dimension, r.InstanceType ?? "", String(r.InstanceCount), time(r.StartTime), time(r.EndTime),
      String(r.DurationSeconds), r.Quantity.toFixed(6), r.Unit, String(r.Price), r.Currency, r.Amount.toFixed(6),
      r.ResourceArn,
    ].map(cell).join(","),
  );
  return [CSV_COLUMNS.join(","), ...rows].map((l) => `${l}\r\n`).join("");
}
