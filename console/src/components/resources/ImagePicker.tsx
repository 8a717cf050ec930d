// "Location of inference image" / "Training image": free text, or an image
// chosen from the account's own registry (ECR DescribeRepositories and
// DescribeImages; the URI is the repositoryUri the API answers, plus the tag).
import { DescribeImagesCommand, DescribeRepositoriesCommand, type ImageDetail } from "@aws-sdk/client-ecr";
import { useState } from "preact/hooks";
import { ecr } from "../../aws";
import { formatBytes, formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { ErrorBox, Field, Loading } from "../ui";

export function ImageField({
  id,
  label,
  hint,
  value,
  onChange,
  error,
}: {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  const [open, setOpen] = useState(false);
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <div class="picker-row">
        <input
          id={id}
          value={value}
          spellcheck={false}
          placeholder="ACCOUNT.dkr.ecr.REGION.amazonaws.com/REPOSITORY:TAG"
          onInput={(e) => onChange((e.target as HTMLInputElement).value)}
          aria-invalid={error ? true : undefined}
        />
        <button type="button" aria-expanded={open} aria-controls={`${id}-browser`} onClick={() => setOpen(!open)}>
          Browse images
        </button>
      </div>
      {open && (
        <ImageBrowser
          id={`${id}-browser`}
          onPick={(uri) => {
            onChange(uri);
            setOpen(false);
          }}
        />
      )}
    </Field>
  );
}

function ImageBrowser({ id, onPick }: { id: string; onPick: (uri: string) => void }) {
  const [repo, setRepo] = useState<{ name: string; uri: string }>();
  const repos = useLoad(async () => {
    const out = await ecr().send(new DescribeRepositoriesCommand({ maxResults: 1000 }));
    return out.repositories ?? [];
  }, []);
  return (
    <div class="picker" id={id} role="region" aria-label="Images in the registry">
      <ErrorBox error={repos.error} />
      {repos.loading && <Loading />}
      {repos.data && repos.data.length === 0 && (
        <p class="empty">The registry has no repositories yet: push an image first (see Image registry).</p>
      )}
      {!repo && (
        <ul class="picker-list">
          {repos.data?.map((r) => (
            <li key={r.repositoryName}>
              <button type="button" class="link" onClick={() => setRepo({ name: r.repositoryName!, uri: r.repositoryUri! })}>
                {r.repositoryName}
              </button>
            </li>
          ))}
        </ul>
      )}
      {repo && <Images repo={repo} onBack={() => setRepo(undefined)} onPick={onPick} />}
    </div>
  );
}

function Images({
  repo,
  onBack,
  onPick,
}: {
  repo: { name: string; uri: string };
  onBack: () => void;
  onPick: (uri: string) => void;
}) {
  const images = useLoad(async () => {
    const out = await ecr().send(new DescribeImagesCommand({ repositoryName: repo.name, maxResults: 1000 }));
    return [...(out.imageDetails ?? [])].sort(
      (a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0),
    );
  }, [repo.name]);
  // One choice per tag; an untagged image is named by its digest.
  const refs = (d: ImageDetail) =>
    d.imageTags?.length ? d.imageTags.map((t) => [`${repo.name}:${t}`, `${repo.uri}:${t}`]) : [[`${repo.name}@${d.imageDigest}`, `${repo.uri}@${d.imageDigest}`]];
  return (
    <>
      <p>
        <button type="button" class="link" onClick={onBack}>
          All repositories
        </button>{" "}
        / <strong>{repo.name}</strong>
      </p>
      <ErrorBox error={images.error} />
      {images.loading && <Loading />}
      {images.data?.length === 0 && <p class="empty">No images in {repo.name}.</p>}
      <ul class="picker-list">
        {images.data?.flatMap((d) =>
          refs(d).map(([label, uri]) => (
            <li key={uri}>
              <button type="button" onClick={() => onPick(uri)}>
                Use {label}
              </button>{" "}
              <span class="muted">
                pushed {formatTime(d.imagePushedAt)}, {formatBytes(d.imageSizeInBytes)}
              </span>
            </li>
          )),
        )}
      </ul>
    </>
  );
}
