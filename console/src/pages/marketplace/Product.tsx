// A machine learning product (DescribeEntity) and its offer: the listing,
// visibility and state, each version with the source AWS Marketplace holds
// (its copy of the seller's model package or algorithm, in another
// account), each delivery option's visibility and instance types, the
// price per dimension. Every action is a change set, and the page then
// follows it on the change set's page.
import type { Change } from "@aws-sdk/client-marketplace-catalog";
import { useLocation, useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError } from "../../aws";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { ErrorBox, Facts, Field, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso } from "../../format";
import { useLoad } from "../../hooks";
import { OfferView, TypesList } from "../../components/marketplace/views";
import { describeEntity, lines, offerOf, PRODUCT, startChangeSet, type DocObject, type ProductDocument, type Version } from "../../marketplace";

/** Starts a change set and opens its page; keeps the refusal to show. */
function useChangeSet() {
  const { route } = useLocation();
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const send = async (changes: Change[], name: string) => {
    setBusy(true);
    setError(undefined);
    try {
      const id = await startChangeSet(changes, name);
      route(`${BASE}/marketplace/change-sets/${encodeURIComponent(id)}`);
    } catch (e) {
      setError(describeError(e));
      setBusy(false);
      throw e;
    }
  };
  return { send, error, busy };
}

export default function Product() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id);
  const { data: p, error } = useLoad(() => describeEntity<ProductDocument>(id), [id]);
  const offer = useLoad(() => offerOf(id), [id]);
  const cs = useChangeSet();
  if (error) return <ErrorBox error={error} />;
  if (!p) return <Loading />;
  const d = p.doc.Description ?? {};
  const title = d.ProductTitle || id;
  const change = (ChangeType: string, DetailsDocument: DocObject): Change => ({
    ChangeType,
    Entity: { Type: PRODUCT, Identifier: id },
    DetailsDocument,
  });
  const send = (changes: Change[], name: string) => cs.send(changes, `${name} ${id}`).catch(() => undefined);
  return (
    <>
      <PageHeader title={title}>
        <a class="button" href={`${BASE}/marketplace/change-sets?entity=${encodeURIComponent(id)}`}>
          Change sets
        </a>
        <a class="button" href={`${BASE}/marketplace/usage?product=${encodeURIComponent(id)}`}>
          Usage
        </a>
        <a class="button primary" href={`${BASE}/marketplace/products/${encodeURIComponent(id)}/add-version`}>
          Add a version
        </a>
        {d.Visibility === "Limited" && (
          <button type="button" class="primary" disabled={cs.busy} onClick={() => send([change("UpdateVisibility", { TargetVisibility: "Public" })], "Make public")}>
            Make public
          </button>
        )}
      </PageHeader>
      <ErrorBox error={cs.error} title="The change set was refused." />
      <Section title="Summary">
        <Facts
          rows={[
            ["Visibility", <StatusBadge status={d.Visibility} />],
            ["State", <StatusBadge status={d.ProductState} />],
            ["Product ID", <code>{id}</code>],
            ["Product code", <code>{d.ProductCode ?? "—"}</code>],
            ["Revision", <code>{p.identifier}</code>],
            ["ARN", <code>{p.arn}</code>],
            ["Last modified", formatIso(p.lastModified)],
            ["SKU", d.Sku],
          ]}
        />
      </Section>
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
      <Section title={`Versions (${p.doc.Versions?.length ?? 0})`}>
        {!p.doc.Versions?.length && <p class="empty">No version yet: add one.</p>}
        {p.doc.Versions?.map((v) => (
          <VersionView key={v.Id} v={v} busy={cs.busy} restrict={(ids) => cs.send([change("RestrictDeliveryOptions", { DeliveryOptionIds: ids })], `Restrict ${id}`)} />
        ))}
      </Section>
      <Section title="Offer and prices">
        <OfferView offer={offer.data?.doc} offerId={offer.data?.id} error={offer.error} loading={offer.loading && !offer.data} dims={p.doc.Dimensions ?? []} />
      </Section>
      <Targeting
        current={p.doc.Targeting?.PositiveTargeting?.BuyerAccounts ?? []}
        busy={cs.busy}
        save={(accounts) => send([change("UpdateTargeting", { PositiveTargeting: { BuyerAccounts: accounts } })], "Targeting")}
      />
    </>
  );
}

function VersionView({ v, restrict, busy }: { v: Version; restrict: (ids: string[]) => Promise<void>; busy: boolean }) {
  const open = (v.DeliveryOptions ?? []).filter((o) => o.Visibility !== "Restricted").map((o) => o.Id);
  return (
    <div class="version" data-version={v.VersionTitle}>
      <div class="row-head">
        <h3>
          Version <span class="version-title">{v.VersionTitle}</span>
        </h3>
        {open.length > 0 && (
          <ConfirmButton
            label="Restrict"
            accessibleLabel={`Restrict version ${v.VersionTitle}`}
            title={`Restrict version ${v.VersionTitle}?`}
            confirmLabel="Restrict version"
            onConfirm={() => restrict(open)}
          >
            <p>New buyers can no longer subscribe to this version; current subscribers keep it. This starts a change set.</p>
          </ConfirmButton>
        )}
        {busy && <span class="muted">Sending…</span>}
      </div>
      <Facts
        rows={[
          ["Version ID", <code>{v.Id}</code>],
          ["Created", formatIso(v.CreationDate)],
          ["Release notes", v.ReleaseNotes],
        ]}
      />
      <h4>Sources</h4>
      <ul class="sources">
        {v.Sources?.map((s) => (
          <li key={s.Id}>
            {s.Type}: <code class="source-arn">{s.ModelPackageArn ?? s.AlgorithmArn}</code>
          </li>
        ))}
      </ul>
      <div class="table-scroll">
        <table class="list delivery-options">
          <thead>
            <tr>
              <th scope="col">Delivery option</th>
              <th scope="col">Visibility</th>
              <th scope="col">Supported instance types</th>
              <th scope="col">Recommended</th>
              <th scope="col">Usage instructions</th>
            </tr>
          </thead>
          <tbody>
            {v.DeliveryOptions?.map((o) => (
              <tr key={o.Id} data-delivery-option={o.Id}>
                <td>
                  {o.Title ?? o.Type} <code class="muted">{o.Id}</code>
                </td>
                <td>
                  <StatusBadge status={o.Visibility} />
                </td>
                <td>
                  <TypesList label="Training" types={o.SupportedInstanceTypes?.Training} />
                  <TypesList label="Batch transform" types={o.SupportedInstanceTypes?.BatchTransform} />
                  <TypesList label="Real-time inference" types={o.SupportedInstanceTypes?.RealtimeInference} />
                </td>
                <td>
                  {Object.entries(o.RecommendedInstanceTypes ?? {}).map(([k, t]) => (
                    <div key={k}>
                      {k}: <code>{t}</code>
                    </div>
                  ))}
                </td>
                <td>{o.Instructions?.Usage}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Targeting({ current, save, busy }: { current: string[]; save: (accounts: string[]) => Promise<void>; busy: boolean }) {
  const [text, setText] = useState(current.join("\n"));
  const [err, setErr] = useState<string>();
  const submit = (e: Event) => {
    e.preventDefault();
    const accounts = lines(text, true);
    const bad = accounts.find((a) => !/^\d{12}$/.test(a));
    if (bad) return setErr(`“${bad}” is not a 12-digit AWS account ID.`);
    setErr(undefined);
    void save(accounts);
  };
  return (
    <Section title="Targeting">
      <p class="intro">While the product is Limited, only these buyer accounts can see and subscribe to it.</p>
      <form onSubmit={submit} noValidate>
        <Field label="Buyer accounts" id="mkt-buyers" hint="12-digit account IDs, one per line or separated by commas." error={err}>
          <textarea id="mkt-buyers" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <button type="submit" disabled={busy}>
          Save buyer accounts
        </button>
      </form>
    </Section>
  );
}
