import { type AlgorithmSummary, ListAlgorithmsCommand } from "@aws-sdk/client-sagemaker";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

export default function Algorithms() {
  return (
    <>
      <PageHeader title="Algorithms">
        <a class="button primary" href={`${BASE}/algorithms/create`}>
          Create algorithm
        </a>
      </PageHeader>
      <ResourceList<AlgorithmSummary>
        noun="algorithms"
        rowKey={(a) => a.AlgorithmArn ?? ""}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListAlgorithmsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              SortBy: q.sortBy as "Name" | "CreationTime",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.AlgorithmSummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (a) => <a href={`${BASE}/algorithms/${encodeURIComponent(a.AlgorithmName ?? "")}`}>{a.AlgorithmName}</a>,
          },
          { label: "Status", render: (a) => <StatusBadge status={a.AlgorithmStatus} /> },
          { label: "Description", render: (a) => a.AlgorithmDescription ?? "—" },
          { label: "Creation time", sortBy: "CreationTime", render: (a) => formatTime(a.CreationTime) },
        ]}
      />
    </>
  );
}
