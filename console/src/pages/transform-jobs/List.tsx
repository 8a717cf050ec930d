import { ListTransformJobsCommand, type TransformJobSummary } from "@aws-sdk/client-sagemaker";
import { useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { durationBetween } from "../../jobs/status";
import { StatusFilter } from "../../jobs/StatusFilter";

export default function TransformJobs() {
  const [status, setStatus] = useState("");
  return (
    <>
      <PageHeader title="Batch transform jobs" />
      <ResourceList<TransformJobSummary>
        noun="batch transform jobs"
        rowKey={(j) => j.TransformJobArn ?? ""}
        toolsKey={status}
        tools={<StatusFilter noun="batch transform jobs" value={status} onChange={setStatus} />}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListTransformJobsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              StatusEquals: (status || undefined) as TransformJobSummary["TransformJobStatus"],
              SortBy: q.sortBy as "Name" | "CreationTime" | "Status",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.TransformJobSummaries ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (j) => (
              <a href={`${BASE}/transform-jobs/${encodeURIComponent(j.TransformJobName ?? "")}`}>{j.TransformJobName}</a>
            ),
          },
          { label: "Status", sortBy: "Status", render: (j) => <StatusBadge status={j.TransformJobStatus} /> },
          { label: "Creation time", sortBy: "CreationTime", render: (j) => formatTime(j.CreationTime) },
          { label: "Duration", render: (j) => durationBetween(j.CreationTime, j.TransformEndTime) },
          {
            label: "Failure reason",
            render: (j) => (j.FailureReason ? <span class="clip" title={j.FailureReason}>{j.FailureReason}</span> : "—"),
          },
        ]}
      />
    </>
  );
}
