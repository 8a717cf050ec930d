// The seller's machine learning products (ListEntities of
// MachineLearningProduct owned by the account).
import { ListEntitiesCommand, type EntitySummary } from "@aws-sdk/client-marketplace-catalog";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso } from "../../format";
import { CATALOG, catalog } from "../../marketplace";

export default function Products() {
  return (
    <>
      <PageHeader title="Products" />
      <p class="intro">
        Machine learning products listed in AWS Marketplace. Publish one from a validated model package's or algorithm's page (“Publish in AWS
        Marketplace”).
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
              OwnershipType: "SELF",
              MaxResults: q.pageSize,
              NextToken: q.token,
            }),
          );
          return { items: out.EntitySummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Title",
            render: (e) => <a href={`${BASE}/marketplace/products/${encodeURIComponent(e.EntityId ?? "")}`}>{e.Name || e.EntityId}</a>,
          },
          { label: "Product ID", render: (e) => <code>{e.EntityId}</code> },
          { label: "Visibility", render: (e) => <StatusBadge status={e.Visibility} /> },
          { label: "Last modified", render: (e) => formatIso(e.LastModifiedDate) },
        ]}
      />
    </>
  );
}
