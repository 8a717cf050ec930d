import {
  DeleteModelPackageGroupCommand,
  DescribeModelPackageGroupCommand,
  ListModelPackagesCommand,
  type ModelPackageSummary,
} from "@aws-sdk/client-sagemaker";
import { useLocation, useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { DeleteButton } from "../../components/resources/DeleteButton";
import { ResourceList } from "../../components/ResourceList";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";

export default function ModelPackageGroup() {
  const { params } = useRoute();
  const { route } = useLocation();
  const name = decodeURIComponent(params.name);
  const { data: g, error } = useLoad(
    () => sagemaker().send(new DescribeModelPackageGroupCommand({ ModelPackageGroupName: name })),
    [name],
    5000,
  );
  if (error) return <ErrorBox error={error} />;
  if (!g) return <Loading />;
  return (
    <>
      <PageHeader title={g.ModelPackageGroupName ?? name}>
        <DeleteButton
          noun="model package group"
          name={g.ModelPackageGroupName ?? name}
          warning="A group can be deleted once it holds no model package versions. This cannot be undone."
          remove={() => sagemaker().send(new DeleteModelPackageGroupCommand({ ModelPackageGroupName: name }))}
          after={() => route(`${BASE}/model-package-groups`)}
        />
      </PageHeader>
      <Section title="Summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={g.ModelPackageGroupStatus} />],
            ["ARN", <code>{g.ModelPackageGroupArn}</code>],
            ["Description", g.ModelPackageGroupDescription],
            ["Creation time", formatTime(g.CreationTime)],
          ]}
        />
      </Section>
      <Section title="Versions">
        <ResourceList<ModelPackageSummary>
          noun="versions"
          filter={false}
          rowKey={(p) => p.ModelPackageArn ?? ""}
          fetchPage={async (q) => {
            const out = await sagemaker().send(
              new ListModelPackagesCommand({
                ModelPackageGroupName: name,
                ModelPackageType: "Versioned",
                NextToken: q.token,
                SortBy: q.sortBy as "Name" | "CreationTime",
                SortOrder: q.sortOrder,
                MaxResults: q.pageSize,
              }),
            );
            return { items: out.ModelPackageSummaryList ?? [], next: out.NextToken };
          }}
          columns={[
            {
              label: "Version",
              render: (p) => (
                <a href={`${BASE}/model-packages/${encodeURIComponent(p.ModelPackageArn ?? "")}`}>Version {p.ModelPackageVersion}</a>
              ),
            },
            { label: "Status", render: (p) => <StatusBadge status={p.ModelPackageStatus} /> },
            { label: "Approval status", render: (p) => <StatusBadge status={p.ModelApprovalStatus} /> },
            { label: "Description", render: (p) => p.ModelPackageDescription ?? "—" },
            { label: "Creation time", sortBy: "CreationTime", render: (p) => formatTime(p.CreationTime) },
          ]}
        />
      </Section>
    </>
  );
}
