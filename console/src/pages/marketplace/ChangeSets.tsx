// Change sets, newest first (ListChangeSets sorted by StartTime), with a
// status filter; `?entity=ID` narrows them to one product's or offer's.
import { ListChangeSetsCommand, type ChangeSetSummaryListItem, type Filter } from "@aws-sdk/client-marketplace-catalog";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { ResourceList } from "../../components/ResourceList";
import { PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatIso } from "../../format";
import { CATALOG, catalog } from "../../marketplace";

const STATUSES = ["PREPARING", "APPLYING", "SUCCEEDED", "CANCELLED", "FAILED"];

export default function ChangeSets() {
  const { query } = useLocation();
  const entity = query.entity ?? "";
  const [status, setStatus] = useState("");
  const filters: Filter[] = [];
  if (status) filters.push({ Name: "Status", ValueList: [status] });
  if (entity) filters.push({ Name: "EntityId", ValueList: [entity] });
  return (
    <>
      <PageHeader title="Change sets" />
      {entity && (
        <p class="intro">
          Of <a href={`${BASE}/marketplace/products/${encodeURIComponent(entity)}`}>{entity}</a> only.{" "}
          <a href={`${BASE}/marketplace/change-sets`}>All change sets</a>
        </p>
      )}
      <ResourceList<ChangeSetSummaryListItem>
        noun="change sets"
        filter={false}
        pageSize={20}
        rowKey={(c) => c.ChangeSetId ?? ""}
        toolsKey={`${status}|${entity}`}
        tools={
          <label class="filter">
            <span class="visually-hidden">Filter change sets by status</span>
            <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
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
          const out = await catalog().send(
            new ListChangeSetsCommand({
              Catalog: CATALOG,
              FilterList: filters.length ? filters : undefined,
              Sort: { SortBy: "StartTime", SortOrder: "DESCENDING" },
              MaxResults: q.pageSize,
              NextToken: q.token,
            }),
          );
          return { items: out.ChangeSetSummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            render: (c) => <a href={`${BASE}/marketplace/change-sets/${encodeURIComponent(c.ChangeSetId ?? "")}`}>{c.ChangeSetName || c.ChangeSetId}</a>,
          },
          { label: "Status", render: (c) => <StatusBadge status={c.Status} /> },
          { label: "Failure", render: (c) => c.FailureCode ?? "" },
          {
            label: "Entities",
            render: (c) =>
              (c.EntityIdList ?? []).map((e) => (
                <code key={e} class="tag">
                  {e}
                </code>
              )),
          },
          { label: "Started", render: (c) => formatIso(c.StartTime) },
          { label: "Ended", render: (c) => formatIso(c.EndTime) },
        ]}
      />
    </>
  );
}
