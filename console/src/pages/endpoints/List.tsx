import { type EndpointStatus, type EndpointSummary, ListEndpointsCommand } from "@aws-sdk/client-sagemaker";
import { useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

const STATUSES: EndpointStatus[] = [
  "Creating",
  "InService",
  "Updating",
  "SystemUpdating",
  "RollingBack",
  "OutOfService",
  "Deleting",
  "Failed",
  "UpdateRollbackFailed",
];

export default function Endpoints() {
  const [status, setStatus] = useState<EndpointStatus | "">("");
  return (
    <>
      <PageHeader title="Endpoints">
        <a class="button primary" href={`${BASE}/endpoints/create`}>
          Create endpoint
        </a>
      </PageHeader>
      <ResourceList<EndpointSummary>
        noun="endpoints"
        rowKey={(e) => e.EndpointArn ?? ""}
        toolsKey={status}
        tools={
          <label class="filter">
            <span class="visually-hidden">Filter endpoints by status</span>
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value as EndpointStatus | "")}>
              <option value="">Any status</option>
              {STATUSES.map((s) => (
                <option key={s} value={s}>
                  {s}
                </option>
              ))}
            </select>
          </label>
        }
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListEndpointsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              StatusEquals: status || undefined,
              SortBy: q.sortBy as "Name" | "CreationTime" | "Status",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.Endpoints ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (e) => <a href={`${BASE}/endpoints/${encodeURIComponent(e.EndpointName ?? "")}`}>{e.EndpointName}</a>,
          },
          { label: "Status", sortBy: "Status", render: (e) => <StatusBadge status={e.EndpointStatus} /> },
          { label: "Creation time", sortBy: "CreationTime", render: (e) => formatTime(e.CreationTime) },
          { label: "Last updated", render: (e) => formatTime(e.LastModifiedTime) },
        ]}
      />
    </>
  );
}
