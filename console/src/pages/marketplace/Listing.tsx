// A product as a buyer sees it (another account's, public or targeted at
// this one): its description, each version with the copy AWS Marketplace
// holds and its instance types, the released offer's price per dimension,
// and the account's subscription (Subscribe, or since when and Unsubscribe).
// Once subscribed, how to use each version by ARN.
import { useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError } from "../../aws";
import { UsageView } from "../../components/marketplace/usage";
import { OfferView, TypesList } from "../../components/marketplace/views";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { describeEntity, offerOf, sellerOf, type ProductDocument, type Version } from "../../marketplace";
import { epoch, listSubscriptions, subscribe, unsubscribe, type Subscription } from "../../subscriptions";

export default function Listing() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id);
  const { data: p, error } = useLoad(() => describeEntity<ProductDocument>(id), [id]);
  const offer = useLoad(() => offerOf(id, "SHARED"), [id]);
  const subs = useLoad(() => listSubscriptions({ role: "Buyer", productId: id }), [id]);
  if (error?.startsWith("ResourceNotFoundException")) {
    return (
      <>
        <PageHeader title="Product not found" />
        <p class="not-found">
          No product <code>{id}</code> is offered to your account: it does not exist, or its seller has not made it available to you.{" "}
          <a href={`${BASE}/marketplace/catalog`}>Back to the catalog</a>
        </p>
        <ErrorBox error={error} title="The catalog answered:" />
      </>
    );
  }
  if (error) return <ErrorBox error={error} />;
  if (!p) return <Loading />;
  const d = p.doc.Description ?? {};
  const versions = p.doc.Versions ?? [];
  return (
    <>
      <PageHeader title={d.ProductTitle || id} />
      <Section title="Summary">
        <Facts
          rows={[
            ["Visibility", <StatusBadge status={d.Visibility} />],
            ["Seller account", <code class="seller">{sellerOf(p.arn) ?? "—"}</code>],
            ["Product ID", <code>{id}</code>],
            ["Last modified", formatIso(p.lastModified)],
          ]}
        />
      </Section>
      <SubscriptionPanel
        productId={id}
        // The newest of the account's subscriptions to the product (the API lists newest first).
        current={subs.data?.[0]}
        loading={subs.loading && !subs.data}
        loadError={subs.error}
        versions={versions}
      />
      <Section title="Description">
        <Facts
          rows={[
            ["Short description", d.ShortDescription],
            ["Search keywords", d.SearchKeywords?.join(", ")],
            ["Categories", d.Categories?.join(", ")],
          ]}
        />
        {d.LongDescription && <p class="long-description">{d.LongDescription}</p>}
        {!!d.Highlights?.length && (
          <ul class="highlights">
            {d.Highlights.map((h) => (
              <li key={h}>{h}</li>
            ))}
          </ul>
        )}
      </Section>
      <Section title={`Versions (${versions.length})`}>
        {!versions.length && <p class="empty">No version yet.</p>}
        {versions.map((v) => (
          <BuyerVersion key={v.Id} v={v} />
        ))}
      </Section>
      <Section title="Offer and prices">
        <OfferView offer={offer.data?.doc} offerId={offer.data?.id} error={offer.error} loading={offer.loading && !offer.data} dims={p.doc.Dimensions ?? []} />
      </Section>
    </>
  );
}

function SubscriptionPanel({
  productId,
  current,
  loading,
  loadError,
  versions,
}: {
  productId: string;
  current: Subscription | undefined;
  loading: boolean;
  loadError: string | undefined;
  versions: Version[];
}) {
  // What this page did last wins over the list read when it opened.
  const [mine, setMine] = useState<Subscription>();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const sub = mine ?? current;
  const active = sub?.Status === "ACTIVE";
  const doSubscribe = async () => {
    setBusy(true);
    setError(undefined);
    try {
      setMine(await subscribe(productId));
    } catch (e) {
      setError(describeError(e));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <section class="panel subscription" aria-busy={busy || loading}>
        <h2>Subscription</h2>
        <ErrorBox error={loadError} title="Your subscriptions could not be read." />
        {loading && <Loading />}
        {!loading && active && sub && (
          <div class="row-head">
            <p class="subscribed">
              Subscribed since <span class="since">{formatTime(epoch(sub.StartTime))}</span>, agreement <code class="agreement">{sub.AgreementId}</code>
            </p>
            <ConfirmButton
              label="Unsubscribe"
              title="Unsubscribe from this product?"
              confirmLabel="Unsubscribe"
              busyLabel="Unsubscribing…"
              onConfirm={async () => setMine(await unsubscribe(productId))}
            >
              <p>Your account can no longer create models, training or transform jobs from it. What already runs is not stopped.</p>
            </ConfirmButton>
          </div>
        )}
        {!loading && !active && (
          <div class="row-head">
            <p class="not-subscribed">
              {sub?.Status === "CANCELLED"
                ? `Subscription ${sub.AgreementId} ended ${formatTime(epoch(sub.EndTime))}.`
                : "Your account is not subscribed to this product."}
            </p>
            <button type="button" class="primary" disabled={busy} onClick={doSubscribe}>
              {busy ? "Subscribing…" : "Subscribe"}
            </button>
          </div>
        )}
        <ErrorBox error={error} title="The subscription was refused." />
      </section>
      {active && (
        <Section title="How to use it">
          <UsageView versions={versions} />
        </Section>
      )}
    </>
  );
}

function BuyerVersion({ v }: { v: Version }) {
  const restricted = (v.DeliveryOptions ?? []).every((o) => o.Visibility === "Restricted") && !!v.DeliveryOptions?.length;
  return (
    <div class="version" data-version={v.VersionTitle}>
      <div class="row-head">
        <h3>
          Version <span class="version-title">{v.VersionTitle}</span>
        </h3>
        {restricted && <StatusBadge status="Restricted" />}
      </div>
      {restricted && <p class="muted restricted-note">Restricted: not available to new subscribers; those who subscribed before keep it.</p>}
      <Facts
        rows={[
          ["Created", formatIso(v.CreationDate)],
          ["Release notes", v.ReleaseNotes],
          [
            "ARN",
            <>
              {v.Sources?.map((s) => (
                <code key={s.Id} class="source-arn">
                  {s.ModelPackageArn ?? s.AlgorithmArn}
                </code>
              ))}
            </>,
          ],
        ]}
      />
      {v.DeliveryOptions?.map((o) => (
        <div key={o.Id} class="delivery-option" data-delivery-option={o.Id}>
          <TypesList label="Training" types={o.SupportedInstanceTypes?.Training} />
          <TypesList label="Batch transform" types={o.SupportedInstanceTypes?.BatchTransform} />
          <TypesList label="Real-time inference" types={o.SupportedInstanceTypes?.RealtimeInference} />
          {Object.entries(o.RecommendedInstanceTypes ?? {}).map(([k, t]) => (
            <div key={k} class="recommended" data-use={k}>
              Recommended for {k}: <code>{t}</code>
            </div>
          ))}
          {o.Instructions?.Usage && <p class="usage-instructions">{o.Instructions.Usage}</p>}
        </div>
      ))}
    </div>
  );
}
