import { ListModelsCommand, type ModelSummary } from "@aws-sdk/client-sagemaker";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

export default function Models() {
  return (
    <>
      <PageHeader title="Models" />
      <ResourceList<ModelSummary>
        noun="models"
        rowKey={(m) => m.ModelArn ?? ""}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListModelsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              SortBy: q.sortBy as "Name" | "CreationTime",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.Models ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (m) => <a href={`${BASE}/models/${encodeURIComponent(m.ModelName ?? "")}`}>{m.ModelName}</a>,
          },
          { label: "ARN", render: (m) => <code>{m.ModelArn}</code> },
          { label: "Creation time", sortBy: "CreationTime", render: (m) => formatTime(m.CreationTime) },
        ]}
      />
    </>
  );
}
