import { type Bucket, CreateBucketCommand, DeleteBucketCommand, ListBucketsCommand } from "@aws-sdk/client-s3";
import { useState } from "preact/hooks";
import { describeError, s3 } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { ErrorBox, Field, PageHeader } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";

/** S3 answers a bad name with codes that are all about the name. */
const NAME_ERRORS = ["InvalidBucketName", "BucketAlreadyExists", "BucketAlreadyOwnedByYou"];

function CreateBucket({ onCreated }: { onCreated: (name: string) => void }) {
  const [name, setName] = useState("");
  const [error, setError] = useState<string>();
  const [nameError, setNameError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setNameError(undefined);
    try {
      await s3().send(new CreateBucketCommand({ Bucket: name.trim() }));
      setName("");
      onCreated(name.trim());
    } catch (err) {
      const code = (err as { name?: string }).name ?? "";
      if (NAME_ERRORS.includes(code)) setNameError(describeError(err));
      else setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form class="panel storage-form" aria-labelledby="create-bucket-title" onSubmit={submit}>
      <h2 id="create-bucket-title">Create bucket</h2>
      <Field
        label="Bucket name"
        id="bucket-name"
        hint="3–63 characters: lowercase letters, digits, dots and hyphens."
        error={nameError}
      >
        <input id="bucket-name" value={name} required onInput={(e) => setName((e.target as HTMLInputElement).value)} />
      </Field>
      <ErrorBox error={error} />
      <button type="submit" class="primary" disabled={busy || !name.trim()}>
        Create bucket
      </button>
    </form>
  );
}

export default function Buckets() {
  // Bumped after a create or delete: the list reloads at once.
  const [version, setVersion] = useState(0);
  const [creating, setCreating] = useState(false);
  return (
    <>
      <PageHeader title="S3 buckets">
        <button type="button" class="primary" aria-expanded={creating} onClick={() => setCreating(!creating)}>
          Create bucket
        </button>
      </PageHeader>
      {creating && (
        <CreateBucket
          onCreated={() => {
            setCreating(false);
            setVersion(version + 1);
          }}
        />
      )}
      <ResourceList<Bucket>
        key={version}
        noun="buckets"
        filter={false}
        rowKey={(b) => b.Name ?? ""}
        fetchPage={async (q) => {
          const out = await s3().send(new ListBucketsCommand({ ContinuationToken: q.token, MaxBuckets: q.pageSize }));
          return { items: out.Buckets ?? [], next: out.ContinuationToken };
        }}
        columns={[
          {
            label: "Name",
            render: (b) => <a href={`${BASE}/s3/${encodeURIComponent(b.Name ?? "")}`}>{b.Name}</a>,
          },
          { label: "Creation date", render: (b) => formatTime(b.CreationDate) },
          {
            label: "Actions",
            render: (b) => (
              <ConfirmButton
                label="Delete"
                accessibleLabel={`Delete bucket ${b.Name}`}
                title={`Delete bucket ${b.Name}?`}
                confirmLabel="Delete bucket"
                onConfirm={async () => {
                  await s3().send(new DeleteBucketCommand({ Bucket: b.Name }));
                  setVersion((v) => v + 1);
                }}
              >
                <p>Only an empty bucket can be deleted: delete its objects first.</p>
              </ConfirmButton>
            ),
          },
        ]}
      />
    </>
  );
}
