// A list of one resource type with the API's own paging (NextToken), sort
// (SortBy/SortOrder) and name filter (NameContains): the server does the
// work, so a list of thousands stays as fast as a page of them. The page
// refreshes itself every few seconds so statuses move without reloading.
import type { ComponentChildren } from "preact";
import { useState } from "preact/hooks";
import { useDebounced, useLoad } from "../hooks";
import { ErrorBox, Loading } from "./ui";

export interface Page<T> {
  items: T[];
  next?: string;
}

export interface Query {
  token?: string;
  nameContains?: string;
  sortBy: string;
  sortOrder: "Ascending" | "Descending";
  pageSize: number;
}

export interface Column<T> {
  label: string;
  render: (item: T) => ComponentChildren;
  /** The API's SortBy value for this column, when it can sort by it. */
  sortBy?: string;
}

export function ResourceList<T>({
  noun,
  fetchPage,
  columns,
  rowKey,
  defaultSort = "CreationTime",
  filter = true,
  pollMs = 5000,
  pageSize = 50,
  tools,
  toolsKey = "",
}: {
  /** Plural, lower case: "model packages". */
  noun: string;
  fetchPage: (q: Query) => Promise<Page<T>>;
  columns: Column<T>[];
  rowKey: (item: T) => string;
  defaultSort?: string;
  /** The name filter (NameContains); `tools` show without it. */
  filter?: boolean;
  pollMs?: number;
  pageSize?: number;
  /** More filter controls beside the name filter (e.g. a status select). */
  tools?: ComponentChildren;
  /** The values of `tools`' filters, read by `fetchPage`: a change reloads from page 1. */
  toolsKey?: string;
}) {
  const [nameFilter, setNameFilter] = useState("");
  const nameContains = useDebounced(nameFilter.trim());
  const [sortBy, setSortBy] = useState(defaultSort);
  const [sortOrder, setSortOrder] = useState<"Ascending" | "Descending">("Descending");
  // Tokens of the pages before this one: "Previous" pops. They belong to
  // the filters of `tools` they were read with: a change starts at page 1.
  const [paging, setPaging] = useState<{ key: string; tokens: (string | undefined)[] }>({
    key: toolsKey,
    tokens: [undefined],
  });
  const tokens = paging.key === toolsKey ? paging.tokens : [undefined];
  const setTokens = (t: (string | undefined)[]) => setPaging({ key: toolsKey, tokens: t });
  const token = tokens[tokens.length - 1];
  const { data, error, loading } = useLoad(
    () => fetchPage({ token, nameContains: nameContains || undefined, sortBy, sortOrder, pageSize }),
    [token, nameContains, sortBy, sortOrder, toolsKey],
    pollMs,
    true,
  );
  const resetPaging = () => setTokens([undefined]);
  const sortOn = (key: string) => {
    if (key === sortBy) setSortOrder(sortOrder === "Ascending" ? "Descending" : "Ascending");
    else {
      setSortBy(key);
      setSortOrder(key === "Name" ? "Ascending" : "Descending");
    }
    resetPaging();
  };
  return (
    <div class="resource-list">
      {(filter || tools) && (
        <div class="list-tools">
          {filter && (
            <label class="filter">
              <span class="visually-hidden">Filter {noun} by name</span>
              <input
                type="search"
                placeholder={`Find ${noun} by name`}
                value={nameFilter}
                onInput={(e) => {
                  setNameFilter((e.target as HTMLInputElement).value);
                  resetPaging();
                }}
              />
            </label>
          )}
          {tools}
        </div>
      )}
      <ErrorBox error={error} />
      <table class="list" aria-busy={loading}>
        <thead>
          <tr>
            {columns.map((c) => (
              <th
                key={c.label}
                scope="col"
                aria-sort={c.sortBy === sortBy ? (sortOrder === "Ascending" ? "ascending" : "descending") : undefined}
              >
                {c.sortBy ? (
                  <button type="button" class="sort" onClick={() => sortOn(c.sortBy!)}>
                    {c.label}
                    {c.sortBy === sortBy ? (sortOrder === "Ascending" ? " ▲" : " ▼") : ""}
                  </button>
                ) : (
                  c.label
                )}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {data?.items.map((item) => (
            <tr key={rowKey(item)}>
              {columns.map((c) => (
                <td key={c.label}>{c.render(item)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      {loading && !data && <Loading />}
      {data && data.items.length === 0 && <p class="empty">No {noun}{nameContains ? ` match “${nameContains}”` : ""}.</p>}
      <nav class="pager" aria-label="Pages">
        <button type="button" disabled={loading || tokens.length <= 1} onClick={() => setTokens(tokens.slice(0, -1))}>
          Previous
        </button>
        <span>Page {tokens.length}</span>
        <button type="button" disabled={loading || !data?.next} onClick={() => data?.next && setTokens([...tokens, data.next])}>
          Next
        </button>
      </nav>
    </div>
  );
}
