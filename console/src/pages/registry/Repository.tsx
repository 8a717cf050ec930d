import {
  DeleteRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  type ImageDetail,
} from "@aws-sdk/client-ecr";
import { useLocation, useRoute } from "preact-iso";
import { ecr } from "../../aws";
import { ResourceList } from "../../components/ResourceList";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { CopyButton } from "../../components/storage/CopyButton";
import { PushCommands } from "../../components/storage/PushCommands";
import { ErrorBox, Facts, Loading, PageHeader, Section } from "../../components/ui";
import { BASE } from "../../config";
import { formatBytes, formatTime } from "../../format";
import { useLoad } from "../../hooks";

/** Route param: the repository's name (may contain "/", URL-encoded). */
export default function Repository() {
  const { params } = useRoute();
  const { route } = useLocation();
  const name = params.name;
  const { data, error } = useLoad(
    () => ecr().send(new DescribeRepositoriesCommand({ repositoryNames: [name] })),
    [name],
  );
  if (error) return <ErrorBox error={error} />;
  const r = data?.repositories?.[0];
  if (!r) return <Loading />;
  return (
    <>
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li>
            <a href={`${BASE}/registry`}>Image registry</a>
          </li>
          <li>
            <span aria-current="page">{name}</span>
          </li>
        </ol>
      </nav>
      <PageHeader title={name}>
        <ConfirmButton
          label="Delete repository"
          title={`Delete repository ${name}?`}
          confirmLabel="Delete repository and its images"
          onConfirm={async () => {
            // force: as the ECR console does, the images go with it.
            await ecr().send(new DeleteRepositoryCommand({ repositoryName: name, force: true }));
            route(`${BASE}/registry`);
          }}
        >
          <p>The repository and every image in it are deleted. Model packages that name its images will no longer start.</p>
        </ConfirmButton>
      </PageHeader>
      <Section title="Summary">
        <Facts
          rows={[
            [
              "URI",
              <>
                <code>{r.repositoryUri}</code> <CopyButton text={r.repositoryUri ?? ""} what="repository URI" />
              </>,
            ],
            ["ARN", <code>{r.repositoryArn}</code>],
            ["Created at", formatTime(r.createdAt)],
            ["Tag immutability", r.imageTagMutability],
            ["Scan on push", r.imageScanningConfiguration?.scanOnPush ? "Enabled (no scan runs on this server)" : "Disabled"],
            ["Encryption", r.encryptionConfiguration?.encryptionType],
          ]}
        />
      </Section>
      <Section title="Images">
        <ResourceList<ImageDetail>
          noun="images"
          filter={false}
          rowKey={(i) => i.imageDigest ?? ""}
          fetchPage={async (q) => {
            const out = await ecr().send(
              new DescribeImagesCommand({ repositoryName: name, nextToken: q.token, maxResults: q.pageSize }),
            );
            const items = [...(out.imageDetails ?? [])].sort(
              (a, b) => (b.imagePushedAt?.getTime() ?? 0) - (a.imagePushedAt?.getTime() ?? 0),
            );
            return { items, next: out.nextToken };
          }}
          columns={[
            {
              label: "Image tags",
              render: (i) => (i.imageTags?.length ? i.imageTags.map((t) => <span key={t} class="tag">{t}</span>) : "untagged"),
            },
            { label: "Digest", render: (i) => <code class="digest" title={i.imageDigest}>{i.imageDigest}</code> },
            { label: "Size", render: (i) => formatBytes(i.imageSizeInBytes) },
            { label: "Pushed at", render: (i) => formatTime(i.imagePushedAt) },
            { label: "Manifest type", render: (i) => i.imageManifestMediaType ?? "—" },
          ]}
        />
      </Section>
      <PushCommands repositoryName={name} repositoryUri={r.repositoryUri ?? ""} />
    </>
  );
}
