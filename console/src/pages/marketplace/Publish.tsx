// "Publish in AWS Marketplace" of a Completed, certified model package or
// algorithm: the listing, its first version and its price in one form, sent
// as ONE change set (marketplace.ts, publishChanges); then the change set's
// page follows it. "Validate only" sends it with Intent VALIDATE.
import { useLocation, useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError } from "../../aws";
import { CannotPublish, whyNotPublishable } from "../../components/marketplace/PublishAction";
import { checkDelivery, checkPrices, DeliveryFields, emptyDelivery, type Errors, PricingFields } from "../../components/marketplace/fields";
import { ErrorBox, Field, Loading, PageHeader, Section } from "../../components/ui";
import { BASE } from "../../config";
import { useLoad } from "../../hooks";
import {
  dimensionsOf,
  lines,
  loadPublishable,
  publishChanges,
  startChangeSet,
  type DeliveryInput,
  type Publishable,
  type ResourceKind,
} from "../../marketplace";

export default function Publish() {
  const { params } = useRoute();
  const kind: ResourceKind = params.kind === "algorithms" ? "algorithm" : "model-package";
  const name = decodeURIComponent(params.name);
  const { data: r, error } = useLoad(() => loadPublishable(kind, name), [kind, name]);
  if (error) return <ErrorBox error={error} />;
  if (!r) return <Loading />;
  return <PublishForm key={r.arn} r={r} />;
}

function PublishForm({ r }: { r: Publishable }) {
  const { route } = useLocation();
  const back = `${BASE}/${r.kind === "model-package" ? "model-packages" : "algorithms"}/${encodeURIComponent(r.name)}`;
  const why = whyNotPublishable(r);
  const dims = dimensionsOf(r);
  const [title, setTitle] = useState(r.name);
  const [short, setShort] = useState("");
  const [long, setLong] = useState("");
  const [highlights, setHighlights] = useState("");
  const [keywords, setKeywords] = useState("");
  const [delivery, setDelivery] = useState<DeliveryInput>(() => ({ ...emptyDelivery(r), versionTitle: "1.0" }));
  const [free, setFree] = useState(true);
  const [prices, setPrices] = useState<Record<string, string>>({});
  const [validateOnly, setValidateOnly] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [sendError, setSendError] = useState<string>();
  const [busy, setBusy] = useState(false);
  // Checked as the person types once they have tried to send: an error
  // goes away as soon as its field is right.
  const check = () => {
    const errs: Errors = {};
    if (!title.trim()) errs.title = "Give the product a title.";
    if (!short.trim()) errs.short = "A one-paragraph summary buyers see in search results.";
    if (!long.trim()) errs.long = "The product page's description.";
    checkDelivery(delivery, errs);
    checkPrices(dims, free, prices, errs);
    return errs;
  };
  const errors = submitted ? check() : {};

  const submit = async (e: Event) => {
    e.preventDefault();
    setSubmitted(true);
    setSendError(undefined);
    if (Object.keys(check()).length) {
      // The first field in error, once it is drawn as such.
      requestAnimationFrame(() =>
        document.querySelector<HTMLElement>(".publish-form .has-error input, .publish-form .has-error textarea, .publish-form [aria-invalid='true']")?.focus(),
      );
      return;
    }
    setBusy(true);
    try {
      const changes = publishChanges(
        r,
        { title: title.trim(), shortDescription: short.trim(), longDescription: long.trim(), highlights: lines(highlights), keywords: lines(keywords, true) },
        delivery,
        free,
        dims.map((d) => ({ DimensionKey: d.key, Price: (prices[d.key] ?? "0").trim() })),
      );
      const id = await startChangeSet(changes, `Publish ${r.name}`, validateOnly);
      route(`${BASE}/marketplace/change-sets/${encodeURIComponent(id)}`);
    } catch (err) {
      setSendError(describeError(err));
      setBusy(false);
    }
  };

  if (why.length) {
    return (
      <>
        <PageHeader title={`Publish ${r.name} in AWS Marketplace`} />
        <CannotPublish why={why} />
        <p>
          <a href={back}>Back to {r.name}</a>
        </p>
      </>
    );
  }
  return (
    <>
      <PageHeader title={`Publish ${r.name} in AWS Marketplace`} />
      <p class="intro">
        One change set creates the product with this {r.kind === "model-package" ? "model package" : "algorithm"} as its first version, an offer with
        its prices and the standard EULA, and releases both (visibility Limited: only the accounts you target can subscribe until you make it
        public). AWS Marketplace lists a copy of <code>{r.arn}</code>.
      </p>
      <form onSubmit={submit} noValidate class="publish-form">
        <ErrorBox error={sendError} title="The change set was refused." />
        <Section title="Listing">
          <Field label="Product title" id="mkt-title" error={errors.title}>
            <input id="mkt-title" value={title} onInput={(e) => setTitle((e.target as HTMLInputElement).value)} maxLength={72} />
          </Field>
          <Field label="Short description" id="mkt-short" error={errors.short}>
            <textarea id="mkt-short" rows={2} value={short} onInput={(e) => setShort((e.target as HTMLTextAreaElement).value)} maxLength={1000} />
          </Field>
          <Field label="Long description" id="mkt-long" error={errors.long}>
            <textarea id="mkt-long" rows={5} value={long} onInput={(e) => setLong((e.target as HTMLTextAreaElement).value)} maxLength={5000} />
          </Field>
          <Field label="Highlights" id="mkt-highlights" hint="One per line, up to three.">
            <textarea id="mkt-highlights" rows={3} value={highlights} onInput={(e) => setHighlights((e.target as HTMLTextAreaElement).value)} />
          </Field>
          <Field label="Search keywords (optional)" id="mkt-keywords" hint="Separated by commas.">
            <input id="mkt-keywords" value={keywords} onInput={(e) => setKeywords((e.target as HTMLInputElement).value)} />
          </Field>
        </Section>
        <Section title="First version">
          <DeliveryFields r={r} value={delivery} onChange={setDelivery} errors={errors} />
        </Section>
        <Section title="Price">
          <PricingFields dims={dims} free={free} prices={prices} onFree={setFree} onPrices={setPrices} errors={errors} />
        </Section>
        <div class="wizard-actions">
          <label class="check">
            <input type="checkbox" checked={validateOnly} onChange={(e) => setValidateOnly((e.target as HTMLInputElement).checked)} /> Validate only
            (nothing is created)
          </label>
          <a class="button" href={back}>
            Cancel
          </a>
          <button type="submit" class="primary" disabled={busy}>
            {validateOnly ? "Validate" : "Publish"}
          </button>
        </div>
      </form>
    </>
  );
}
