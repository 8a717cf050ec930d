import {
  CreateModelPackageGroupCommand,
  ListModelPackageGroupsCommand,
  type ModelPackageGroupSummary,
} from "@aws-sdk/client-sagemaker";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError, sagemaker } from "../../aws";
import { fieldOfError, nameProblem } from "../../components/resources/errors";
import { ResourceList } from "../../components/ResourceList";
import { ErrorBox, Field, PageHeader, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

export default function ModelPackageGroups() {
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="Model package groups">
        <button type="button" class="primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create model package group
        </button>
      </PageHeader>
      {creating && <CreateGroup />}
      <ResourceList<ModelPackageGroupSummary>
        noun="model package groups"
        rowKey={(g) => g.ModelPackageGroupArn ?? ""}
        fetchPage={async (q) => {
          const out = await sagemaker().send(
            new ListModelPackageGroupsCommand({
              NextToken: q.token,
              NameContains: q.nameContains,
              SortBy: q.sortBy as "Name" | "CreationTime",
              SortOrder: q.sortOrder,
              MaxResults: q.pageSize,
            }),
          );
          return { items: out.ModelPackageGroupSummaryList ?? [], next: out.NextToken };
        }}
        columns={[
          {
            label: "Name",
            sortBy: "Name",
            render: (g) => (
              <a href={`${BASE}/model-package-groups/${encodeURIComponent(g.ModelPackageGroupName ?? "")}`}>{g.ModelPackageGroupName}</a>
            ),
          },
          { label: "Status", render: (g) => <StatusBadge status={g.ModelPackageGroupStatus} /> },
          { label: "Description", render: (g) => g.ModelPackageGroupDescription ?? "—" },
          { label: "Creation time", sortBy: "CreationTime", render: (g) => formatTime(g.CreationTime) },
        ]}
      />
    </>
  );
}

/** A group is a name and a description: created in place, then opened. */
function CreateGroup() {
  const { route } = useLocation();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const create = async (e: Event) => {
    e.preventDefault();
    const problem = nameProblem(name, "model package group");
    setErrors(problem ? { ModelPackageGroupName: problem } : {});
    setError(undefined);
    if (problem) return;
    setBusy(true);
    try {
      await sagemaker().send(
        new CreateModelPackageGroupCommand({
          ModelPackageGroupName: name.trim(),
          ModelPackageGroupDescription: description.trim() || undefined,
        }),
      );
      route(`${BASE}/model-package-groups/${encodeURIComponent(name.trim())}`);
    } catch (err) {
      const field = fieldOfError(err, ["ModelPackageGroupName", "ModelPackageGroupDescription"], "ModelPackageGroupName");
      if (field) setErrors({ [field]: describeError(err) });
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel" onSubmit={create}>
      <ErrorBox error={error} title="The group was not created." />
      <div class="inline-form">
        <Field id="group-name" label="Model package group name" error={errors.ModelPackageGroupName}>
          <input id="group-name" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        </Field>
        <Field id="group-description" label="Description (optional)" error={errors.ModelPackageGroupDescription}>
          <input id="group-description" value={description} onInput={(e) => setDescription((e.target as HTMLInputElement).value)} />
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          {busy ? "Creating…" : "Create group"}
        </button>
      </div>
    </form>
  );
}
