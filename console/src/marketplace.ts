// The AWS Marketplace Catalog API (`marketplace-catalog`, rest-json, signed
// for `aws-marketplace`) on the page's own origin, and what the console's
// Marketplace pages need around it: the shapes of the two entity documents
// it reads (MachineLearningProduct@1.0 and Offer@1.0; the SDK types them as
// bare documents), the publishable resources (a Completed, certified model
// package or algorithm) and the change documents the forms send. Only the
// lazily loaded Marketplace pages import this module, so the client stays
// out of the first page.
import {
  DescribeEntityCommand,
  ListEntitiesCommand,
  MarketplaceCatalogClient,
  StartChangeSetCommand,
  type Change,
} from "@aws-sdk/client-marketplace-catalog";
import { DescribeAlgorithmCommand, DescribeModelPackageCommand } from "@aws-sdk/client-sagemaker";
import { clientSettings, perSession, sagemaker } from "./aws";

export const CATALOG = "AWSMarketplace";
export const PRODUCT = "MachineLearningProduct@1.0";
export const OFFER = "Offer@1.0";

/** A JSON document as the SDK types DetailsDocument. */
export type Doc = NonNullable<Change["DetailsDocument"]>;
export type DocObject = { [key: string]: Doc };

export const catalog = perSession(() => new MarketplaceCatalogClient(clientSettings()));

export const TERMINAL = ["SUCCEEDED", "FAILED", "CANCELLED"];

export interface Dimension {
  Key: string;
  Name?: string;
  Description?: string;
  Unit?: string;
  Types?: string[];
}

export interface DeliveryOption {
  Id: string;
  Type?: string;
  SourceId?: string;
  Title?: string;
  Visibility?: string;
  Instructions?: { Usage?: string };
  RecommendedInstanceTypes?: Record<string, string>;
  SupportedInstanceTypes?: { BatchTransform?: string[]; RealtimeInference?: string[]; Training?: string[] };
}

export interface Version {
  Id: string;
  VersionTitle?: string;
  ReleaseNotes?: string;
  CreationDate?: string;
  Sources?: { Type?: string; Id?: string; ModelPackageArn?: string; AlgorithmArn?: string }[];
  DeliveryOptions?: DeliveryOption[];
}

/** DescribeEntity's DetailsDocument of a MachineLearningProduct@1.0. */
export interface ProductDocument {
  Description?: {
    ProductTitle?: string;
    ProductCode?: string;
    ShortDescription?: string;
    LongDescription?: string;
    Sku?: string;
    Highlights?: string[];
    SearchKeywords?: string[];
    Categories?: string[];
    Visibility?: string;
    ProductState?: string;
  };
  PromotionalResources?: { LogoUrl?: string };
  SupportInformation?: { Description?: string };
  Versions?: Version[];
  Dimensions?: Dimension[];
  Targeting?: { PositiveTargeting?: { BuyerAccounts?: string[] } };
}

export interface RateCardItem {
  DimensionKey: string;
  Price: string;
}

export interface Term {
  Type: string;
  CurrencyCode?: string;
  RateCards?: { RateCard?: RateCardItem[] }[];
  Documents?: { Type: string; Version?: string }[];
}

/** DescribeEntity's DetailsDocument of an Offer@1.0. */
export interface OfferDocument {
  Id?: string;
  ProductId?: string;
  Name?: string;
  Description?: string;
  State?: string;
  PricingModel?: string;
  Terms?: Term[];
}

export interface Entity<D> {
  id: string;
  identifier?: string;
  arn?: string;
  lastModified?: string;
  doc: D;
}

export async function describeEntity<D>(entityId: string): Promise<Entity<D>> {
  const out = await catalog().send(new DescribeEntityCommand({ Catalog: CATALOG, EntityId: entityId }));
  return {
    id: entityId,
    identifier: out.EntityIdentifier,
    arn: out.EntityArn,
    lastModified: out.LastModifiedDate,
    doc: (out.DetailsDocument ?? {}) as D,
  };
}

/**
 * The offer on a product, if any: the seller's own (`SELF`), or, for a
 * buyer, the released offer of another account's product (`SHARED`). The
 * catalog has no lookup by product in every implementation, so this reads
 * the offers (few: one per product) and takes the one whose document names it.
 */
export async function offerOf(productId: string, ownership: "SELF" | "SHARED" = "SELF"): Promise<Entity<OfferDocument> | undefined> {
  let token: string | undefined;
  do {
    const page = await catalog().send(
      new ListEntitiesCommand({ Catalog: CATALOG, EntityType: "Offer", OwnershipType: ownership, NextToken: token, MaxResults: 50 }),
    );
    for (const s of page.EntitySummaryList ?? []) {
      if (!s.EntityId) continue;
      const offer = await describeEntity<OfferDocument>(s.EntityId);
      if (offer.doc.ProductId === productId) return offer;
    }
    token = page.NextToken;
  } while (token);
  return undefined;
}

/**
 * The seller of an entity: the account of its ARN
 * (`arn:aws:aws-marketplace:REGION:ACCOUNT:AWSMarketplace/…`).
 */
export function sellerOf(entityArn: string | undefined): string | undefined {
  const account = entityArn?.split(":")[4];
  return account && /^\d{12}$/.test(account) ? account : undefined;
}

/** The prices of an offer's usage-based term, by dimension key. */
export function pricesOf(offer: OfferDocument | undefined): Map<string, string> {
  const prices = new Map<string, string>();
  for (const t of offer?.Terms ?? []) {
    if (t.Type !== "UsageBasedPricingTerm") continue;
    for (const card of t.RateCards ?? []) for (const item of card.RateCard ?? []) prices.set(item.DimensionKey, item.Price);
  }
  return prices;
}

/** Starts a change set; resolves to its id (the page then follows it). */
export async function startChangeSet(changes: Change[], name: string, validateOnly = false): Promise<string> {
  const out = await catalog().send(
    new StartChangeSetCommand({
      Catalog: CATALOG,
      ChangeSet: changes,
      ChangeSetName: changeSetName(name),
      Intent: validateOnly ? "VALIDATE" : "APPLY",
    }),
  );
  if (!out.ChangeSetId) throw new Error("The server answered StartChangeSet without a ChangeSetId.");
  return out.ChangeSetId;
}

/** ChangeSetName allows letters, digits, spaces and `_+=.:@-` (at most 100). */
function changeSetName(s: string): string {
  return s.replace(/[^\w\s+=.:@-]/g, "-").slice(0, 100);
}

// ---- Publishable resources ----

export type ResourceKind = "model-package" | "algorithm";

/** A model package or an algorithm as the Marketplace forms need it. */
export interface Publishable {
  kind: ResourceKind;
  name: string;
  arn: string;
  status?: string;
  certified: boolean;
  /** Versions in a model package group cannot be listed (only unversioned packages). */
  versioned: boolean;
  batch: string[];
  realtime: string[];
  training: string[];
}

export async function loadPublishable(kind: ResourceKind, name: string): Promise<Publishable> {
  if (kind === "model-package") {
    const p = await sagemaker().send(new DescribeModelPackageCommand({ ModelPackageName: name }));
    return {
      kind,
      name: p.ModelPackageName ?? name,
      arn: p.ModelPackageArn ?? "",
      status: p.ModelPackageStatus,
      certified: !!p.CertifyForMarketplace,
      versioned: !!p.ModelPackageGroupName,
      batch: p.InferenceSpecification?.SupportedTransformInstanceTypes ?? [],
      realtime: p.InferenceSpecification?.SupportedRealtimeInferenceInstanceTypes ?? [],
      training: [],
    };
  }
  const a = await sagemaker().send(new DescribeAlgorithmCommand({ AlgorithmName: name }));
  return {
    kind,
    name: a.AlgorithmName ?? name,
    arn: a.AlgorithmArn ?? "",
    status: a.AlgorithmStatus,
    certified: !!a.CertifyForMarketplace,
    versioned: false,
    batch: a.InferenceSpecification?.SupportedTransformInstanceTypes ?? [],
    realtime: a.InferenceSpecification?.SupportedRealtimeInferenceInstanceTypes ?? [],
    training: a.TrainingSpecification?.SupportedTrainingInstanceTypes ?? [],
  };
}

export interface PricingDimension {
  key: string;
  type: string;
  /** What a buyer pays per hour for: "batch transform", "real-time inference", "training". */
  use: string;
}

/**
 * The pricing dimensions a resource's supported instance types make, keyed
 * as AWS Marketplace keys them: model packages `<type>.m.i.b` (batch) and
 * `<type>.m.i.r` (real-time); algorithms `<type>.a.t` (training),
 * `<type>.a.i.b` and `<type>.a.i.r`.
 */
export function dimensionsOf(r: Pick<Publishable, "kind" | "batch" | "realtime" | "training">): PricingDimension[] {
  const p = r.kind === "model-package" ? "m" : "a";
  return [
    ...r.training.map((type) => ({ key: `${type}.a.t`, type, use: "training" })),
    ...r.batch.map((type) => ({ key: `${type}.${p}.i.b`, type, use: "batch transform" })),
    ...r.realtime.map((type) => ({ key: `${type}.${p}.i.r`, type, use: "real-time inference" })),
  ];
}

// ---- Change documents ----

export interface DeliveryInput {
  versionTitle: string;
  releaseNotes: string;
  usage: string;
  accessRoleArn: string;
  batch: string;
  realtime: string;
  training: string;
}

const ref = (changeName: string) => `$${changeName}.Entity.Identifier`;

/** An AddDeliveryOptions change: one version whose one delivery option is `r`. */
export function addDeliveryOptions(r: Publishable, d: DeliveryInput, productIdentifier: string): Change {
  const recommended: DocObject = {};
  if (d.batch) recommended.BatchTransform = d.batch;
  if (d.realtime) recommended.RealtimeInference = d.realtime;
  if (d.training && r.kind === "algorithm") recommended.Training = d.training;
  const details: DocObject = {
    ...(r.kind === "model-package" ? { SageMakerModelPackageArn: r.arn } : { SageMakerAlgorithmArn: r.arn }),
    UsageInstructions: d.usage,
    RecommendedInstanceTypes: recommended,
  };
  if (d.accessRoleArn.trim()) details.AccessRoleArn = d.accessRoleArn.trim();
  const key = r.kind === "model-package" ? "SageMakerModelPackageDeliveryOptionDetails" : "SageMakerAlgorithmDeliveryOptionDetails";
  return {
    ChangeType: "AddDeliveryOptions",
    Entity: { Type: PRODUCT, Identifier: productIdentifier },
    DetailsDocument: {
      Version: { VersionTitle: d.versionTitle, ReleaseNotes: d.releaseNotes },
      DeliveryOptions: [{ Details: { [key]: details } }],
    },
  };
}

/** UpdatePricingTerms: hourly prices per dimension key, or free (every price 0). */
export function pricingTerms(offerIdentifier: string, free: boolean, prices: RateCardItem[]): Change {
  return {
    ChangeType: "UpdatePricingTerms",
    Entity: { Type: OFFER, Identifier: offerIdentifier },
    DetailsDocument: {
      PricingModel: free ? "Free" : "Usage",
      Terms: [
        {
          Type: "UsageBasedPricingTerm",
          CurrencyCode: "USD",
          RateCards: [{ RateCard: prices.map((p) => ({ DimensionKey: p.DimensionKey, Price: free ? "0.00" : p.Price })) }],
        },
      ],
    },
  };
}

export interface ListingInput {
  title: string;
  shortDescription: string;
  longDescription: string;
  highlights: string[];
  keywords: string[];
}

/**
 * The one change set that lists a resource: the product, its information,
 * its first version, an offer with its prices and the standard EULA, then
 * both released. Later changes name earlier ones by ChangeName
 * (`$CreateProductChange.Entity.Identifier`), so it is one request.
 */
export function publishChanges(r: Publishable, l: ListingInput, d: DeliveryInput, free: boolean, prices: RateCardItem[]): Change[] {
  const product = ref("CreateProductChange");
  const offer = ref("CreateOfferChange");
  const info: DocObject = {
    ProductTitle: l.title,
    ShortDescription: l.shortDescription,
    LongDescription: l.longDescription,
  };
  if (l.highlights.length) info.Highlights = l.highlights;
  if (l.keywords.length) info.SearchKeywords = l.keywords;
  return [
    { ChangeType: "CreateProduct", ChangeName: "CreateProductChange", Entity: { Type: PRODUCT }, DetailsDocument: { ProductTitle: l.title } },
    { ChangeType: "UpdateInformation", ChangeName: "UpdateInformationChange", Entity: { Type: PRODUCT, Identifier: product }, DetailsDocument: info },
    { ...addDeliveryOptions(r, d, product), ChangeName: "AddDeliveryOptionsChange" },
    { ChangeType: "CreateOffer", ChangeName: "CreateOfferChange", Entity: { Type: OFFER }, DetailsDocument: { ProductId: product } },
    { ...pricingTerms(offer, free, prices), ChangeName: "UpdatePricingTermsChange" },
    {
      ChangeType: "UpdateLegalTerms",
      ChangeName: "UpdateLegalTermsChange",
      Entity: { Type: OFFER, Identifier: offer },
      DetailsDocument: { Terms: [{ Type: "LegalTerm", Documents: [{ Type: "StandardEula", Version: "2022-07-14" }] }] },
    },
    { ChangeType: "ReleaseProduct", ChangeName: "ReleaseProductChange", Entity: { Type: PRODUCT, Identifier: product }, DetailsDocument: {} },
    { ChangeType: "ReleaseOffer", ChangeName: "ReleaseOfferChange", Entity: { Type: OFFER, Identifier: offer }, DetailsDocument: {} },
  ];
}

/** One value per line (with `commas`, also per comma), trimmed, empty ones dropped. */
export function lines(s: string, commas = false): string[] {
  return s
    .split(commas ? /[\n,]/ : /\n/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/** A price in USD per hour: a decimal with at most 3 places (AWS's own limit). */
export function validPrice(s: string): boolean {
  return /^\d{1,6}(\.\d{1,3})?$/.test(s.trim());
}
