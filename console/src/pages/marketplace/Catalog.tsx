// The buyer's catalog: machine learning products other accounts offer to
// the signed-in account (ListEntities with OwnershipType SHARED: public
// products, and limited ones whose seller targets this account), with the
// account's own subscriptions marked.
import { ListEntitiesCommand, type EntitySummary } from "@aws-sdk/client-marketplace-catalog";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso } from "../../format";
import { useLoad } from "../../hooks";
import { CATALOG, catalog, sellerOf } from "../../marketplace";
import { listSubscriptions } from "../../subscriptions";

export default function Catalog() {
  const subs = useLoad(() => listSubscriptions({ role: "Buyer" }), []);
  const active = new Set((subs.data ?? []).filter((s) => s.Status === "ACTIVE").map((s) => s.ProductId));
  return (
    <>
      <PageHeader title="Catalog" />
      <p class="intro">
        Machine learning products other accounts offer to yours: public ones, and limited ones whose seller made them available to this
        account. Open one to read its versions and prices and to subscribe.
      </p>
      <ResourceList<EntitySummary>
        noun="products"
        filter={false}
        rowKey={(e) => e.EntityId ?? ""}
        fetchPage={async (q) => {
          const out = await catalog().send(
            new ListEntitiesCommand({
              Catalog: CATALOG,
              EntityType: "MachineLearningProduct",
              OwnershipType: "SHARED",
              MaxResults: q.pageSize,
              NextToken: q.token,
            }),
          );
          return { items: out.EntitySummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Title",
            render: (e) => <a href={`${BASE}/marketplace/catalog/${encodeURIComponent(e.EntityId ?? "")}`}>{e.Name || e.EntityId}</a>,
          },
          { label: "Visibility", render: (e) => <StatusBadge status={e.Visibility} /> },
          { label: "Seller account", render: (e) => <code class="seller">{sellerOf(e.EntityArn) ?? "—"}</code> },
          { label: "Subscription", render: (e) => (active.has(e.EntityId ?? "") ? <StatusBadge status="Subscribed" /> : "") },
          { label: "Last modified", render: (e) => formatIso(e.LastModifiedDate) },
        ]}
      />
    </>
  );
}
