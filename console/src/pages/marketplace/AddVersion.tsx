// Add a version to a product from a validated, certified model package or
// algorithm: one AddDeliveryOptions change, and, when the new version's
// instance types make pricing dimensions a priced offer has no price for,
// an UpdatePricingTerms of the offer with the old prices and the new ones
// in the same change set (AWS Marketplace refuses the version otherwise,
// UPDATE_PRICING_REQUIRED). A free offer covers every dimension.
import { ListAlgorithmsCommand, ListModelPackagesCommand } from "@aws-sdk/client-sagemaker";
import { useLocation, useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError, sagemaker } from "../../aws";
import { checkDelivery, checkPrices, DeliveryFields, emptyDelivery, type Errors, PricingFields } from "../../components/marketplace/fields";
import { CannotPublish, whyNotPublishable } from "../../components/marketplace/PublishAction";
import { ErrorBox, Field, Loading, PageHeader, Section } from "../../components/ui";
import { BASE } from "../../config";
import { useLoad } from "../../hooks";
import {
  addDeliveryOptions,
  describeEntity,
  dimensionsOf,
  loadPublishable,
  offerOf,
  pricesOf,
  pricingTerms,
  startChangeSet,
  type DeliveryInput,
  type Entity,
  type OfferDocument,
  type ProductDocument,
  type Publishable,
  type ResourceKind,
} from "../../marketplace";

export default function AddVersion() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id);
  const { data, error } = useLoad(async () => {
    const [product, offer] = await Promise.all([describeEntity<ProductDocument>(id), offerOf(id)]);
    return { product, offer };
  }, [id]);
  if (error) return <ErrorBox error={error} />;
  if (!data) return <Loading />;
  return <AddVersionForm id={id} product={data.product} offer={data.offer} />;
}

/** The kind of resource the product's versions come from, if it has any. */
function kindOf(p: ProductDocument): ResourceKind | undefined {
  const t = p.Versions?.flatMap((v) => v.Sources ?? []).find((s) => s.Type)?.Type;
  if (t === "SageMakerAlgorithm") return "algorithm";
  if (t === "SageMakerModelPackage") return "model-package";
  return undefined;
}

function AddVersionForm({ id, product, offer }: { id: string; product: Entity<ProductDocument>; offer: Entity<OfferDocument> | undefined }) {
  const fixedKind = kindOf(product.doc);
  const [kind, setKind] = useState<ResourceKind>(fixedKind ?? "model-package");
  const [name, setName] = useState("");
  const names = useLoad(async () => {
    if (kind === "model-package") {
      const out = await sagemaker().send(new ListModelPackagesCommand({ MaxResults: 100, SortBy: "CreationTime", SortOrder: "Descending" }));
      return (out.ModelPackageSummaryList ?? [])
        .filter((s) => !s.ModelPackageGroupName)
        .map((s) => ({ name: s.ModelPackageName ?? "", status: s.ModelPackageStatus }));
    }
    const out = await sagemaker().send(new ListAlgorithmsCommand({ MaxResults: 100, SortBy: "CreationTime", SortOrder: "Descending" }));
    return (out.AlgorithmSummaryList ?? []).map((s) => ({ name: s.AlgorithmName ?? "", status: s.AlgorithmStatus }));
  }, [kind]);
  const chosen = useLoad(async () => (name ? loadPublishable(kind, name) : undefined), [kind, name]);
  const title = product.doc.Description?.ProductTitle || id;
  return (
    <>
      <PageHeader title={`Add a version to ${title}`} />
      <Section title="Source">
        <div class="two-fields">
          <Field
            label="Resource type"
            id="mkt-kind"
            hint={fixedKind ? "The product's versions are all of this type (AWS Marketplace refuses mixing them)." : undefined}
          >
            <select
              id="mkt-kind"
              value={kind}
              disabled={!!fixedKind}
              onChange={(e) => {
                setKind((e.target as HTMLSelectElement).value as ResourceKind);
                setName("");
              }}
            >
              <option value="model-package">Model package</option>
              <option value="algorithm">Algorithm</option>
            </select>
          </Field>
          <Field label={kind === "model-package" ? "Model package" : "Algorithm"} id="mkt-resource" error={names.error}>
            <select id="mkt-resource" value={name} onChange={(e) => setName((e.target as HTMLSelectElement).value)}>
              <option value="">Choose…</option>
              {names.data?.map((n) => (
                <option key={n.name} value={n.name}>
                  {n.name} ({n.status})
                </option>
              ))}
            </select>
          </Field>
        </div>
      </Section>
      <ErrorBox error={chosen.error} />
      {chosen.data && <VersionForm key={chosen.data.arn} id={id} product={product.doc} offer={offer} r={chosen.data} />}
    </>
  );
}

function VersionForm({ id, product, offer, r }: { id: string; product: ProductDocument; offer: Entity<OfferDocument> | undefined; r: Publishable }) {
  const { route } = useLocation();
  const why = whyNotPublishable(r);
  const old = pricesOf(offer?.doc);
  const free = offer?.doc.PricingModel === "Free" || (old.size > 0 && [...old.values()].every((v) => Number(v) === 0));
  // Only the dimensions a priced offer has no price for yet need one now.
  const added = free ? [] : dimensionsOf(r).filter((d) => !old.has(d.key));
  const [delivery, setDelivery] = useState<DeliveryInput>(() => emptyDelivery(r));
  const [prices, setPrices] = useState<Record<string, string>>({});
  const [submitted, setSubmitted] = useState(false);
  const [sendError, setSendError] = useState<string>();
  const [busy, setBusy] = useState(false);
  if (why.length) return <CannotPublish why={why} />;
  // Checked as the person types once they have tried to send.
  const check = () => {
    const errs: Errors = {};
    checkDelivery(delivery, errs);
    checkPrices(added, false, prices, errs);
    if (!offer && added.length) errs.offer = "The product has no offer to price the new instance types in.";
    return errs;
  };
  const errors = submitted ? check() : {};
  const submit = async (e: Event) => {
    e.preventDefault();
    setSubmitted(true);
    setSendError(undefined);
    if (Object.keys(check()).length) return;
    setBusy(true);
    try {
      const changes = [addDeliveryOptions(r, delivery, id)];
      if (offer && added.length) {
        const card = [...old.entries()].map(([k, p]) => ({ DimensionKey: k, Price: p }));
        for (const d of added) card.push({ DimensionKey: d.key, Price: (prices[d.key] ?? "").trim() });
        changes.push(pricingTerms(offer.id, false, card));
      }
      const csId = await startChangeSet(changes, `Add version ${delivery.versionTitle} to ${id}`);
      route(`${BASE}/marketplace/change-sets/${encodeURIComponent(csId)}`);
    } catch (err) {
      setSendError(describeError(err));
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate class="publish-form">
      <ErrorBox error={sendError ?? errors.offer} title="The change set was refused." />
      <Section title="Version">
        {product.Versions?.length ? (
          <p class="intro">Existing versions: {product.Versions.map((v) => v.VersionTitle).join(", ")}. Titles must be unique.</p>
        ) : null}
        <DeliveryFields r={r} value={delivery} onChange={setDelivery} errors={errors} />
      </Section>
      {added.length > 0 && offer && (
        <Section title="Prices of the new instance types">
          <PricingFields dims={added} free={false} prices={prices} onPrices={setPrices} errors={errors} />
        </Section>
      )}
      <div class="wizard-actions">
        <a class="button" href={`${BASE}/marketplace/products/${encodeURIComponent(id)}`}>
          Cancel
        </a>
        <button type="submit" class="primary" disabled={busy}>
          Add version
        </button>
      </div>
    </form>
  );
}
