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
