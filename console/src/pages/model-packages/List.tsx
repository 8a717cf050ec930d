import { ListModelPackagesCommand, type ModelPackageSummary } from "@aws-sdk/client-sagemaker";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

export default function ModelPackages() {
  return (
    <>
      <PageHeader title="Model packages">
        <a class="button primary" href={`${BASE}/model-packages/create`}>
          Create model package
        </a>
      </PageHeader>
      <ResourceList<ModelPackageSummary>
        noun="model packages"
        rowKey={(p) => p.ModelPackageArn ?? ""}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListModelPackagesCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              SortBy: q.sortBy as "Name" | "CreationTime",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
              // Unversioned packages are what the Marketplace lists; versioned
              // ones are shown in their group.
              ModelPackageType: "Both",
            }),
          );
          return { items: out.ModelPackageSummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (p) => (
              <a href={`${BASE}/model-packages/${encodeURIComponent(p.ModelPackageArn ?? "")}`}>
                {p.ModelPackageName}
                {p.ModelPackageVersion ? ` (version ${p.ModelPackageVersion})` : ""}
              </a>
            ),
          },
          { label: "Status", render: (p) => <StatusBadge status={p.ModelPackageStatus} /> },
          { label: "Group", render: (p) => p.ModelPackageGroupName ?? "—" },
          { label: "Creation time", sortBy: "CreationTime", render: (p) => formatTime(p.CreationTime) },
        ]}
      />
    </>
  );
}
