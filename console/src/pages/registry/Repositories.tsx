import { CreateRepositoryCommand, DescribeRepositoriesCommand, type Repository } from "@aws-sdk/client-ecr";
import { useLocation } from "preact-iso";
import { useState } from "preact/hooks";
import { describeError, ecr, erroredMember } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { ErrorBox, Field, PageHeader } from "../../components/ui";
import { formatTime } from "../../format";
import { repositoryHref } from "../../components/storage/PushCommands";

function CreateRepository() {
  const { route } = useLocation();
  const [name, setName] = useState("");
  const [mutability, setMutability] = useState<"MUTABLE" | "IMMUTABLE">("MUTABLE");
  const [error, setError] = useState<{ member?: string; message: string }>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      const out = await ecr().send(
        new CreateRepositoryCommand({ repositoryName: name.trim(), imageTagMutability: mutability }),
      );
      route(repositoryHref(out.repository?.repositoryName ?? name.trim()));
    } catch (err) {
      const code = (err as { name?: string }).name;
      // ECR's messages name members in camelCase ("at 'repositoryName'").
      const member = code === "RepositoryAlreadyExistsException" ? "RepositoryName" : erroredMember(err);
      setError({ member, message: describeError(err) });
      setBusy(false);
    }
  };
  const at = (m: string) => (error?.member === m ? error.message : undefined);
  return (
    <form class="panel storage-form" aria-labelledby="create-repository-title" onSubmit={submit}>
      <h2 id="create-repository-title">Create repository</h2>
      <Field
        label="Repository name"
        id="repository-name"
        hint="Lowercase letters, digits and . _ - /, e.g. acme/churn-model."
        error={at("RepositoryName")}
      >
        <input id="repository-name" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <Field label="Tag immutability" id="tag-mutability" error={at("ImageTagMutability")}>
        <select
          id="tag-mutability"
          value={mutability}
          onChange={(e) => setMutability((e.target as HTMLSelectElement).value as "MUTABLE" | "IMMUTABLE")}
        >
          <option value="MUTABLE">Mutable: a push may move a tag</option>
          <option value="IMMUTABLE">Immutable: a tag, once pushed, never moves</option>
        </select>
      </Field>
      {error && !error.member && <ErrorBox error={error.message} />}
      <button type="submit" class="primary" disabled={busy || !name.trim()}>
        Create repository
      </button>
    </form>
  );
}

export default function Repositories() {
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="Image registry">
        <button type="button" class="primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create repository
        </button>
      </PageHeader>
      <p class="intro">
        Private repositories for your inference and training images (Amazon ECR's API), on this server's own port. Push
        with Podman or Docker, then name the image in a model package or an algorithm.
      </p>
      {creating && <CreateRepository />}
      <ResourceList<Repository>
        noun="repositories"
        filter={false}
        rowKey={(r) => r.repositoryArn ?? ""}
        fetchPage={async (q) => {
          const out = await ecr().send(new DescribeRepositoriesCommand({ nextToken: q.token, maxResults: q.pageSize }));
          return { items: out.repositories ?? [], next: out.nextToken };
        }}
        columns={[
          {
            label: "Repository name",
            render: (r) => <a href={repositoryHref(r.repositoryName ?? "")}>{r.repositoryName}</a>,
          },
          { label: "URI", render: (r) => <code>{r.repositoryUri}</code> },
          { label: "Tag immutability", render: (r) => (r.imageTagMutability?.startsWith("IMMUTABLE") ? "Immutable" : "Mutable") },
          { label: "Created at", render: (r) => formatTime(r.createdAt) },
        ]}
      />
    </>
  );
}
