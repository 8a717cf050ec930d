import { DescribeModelCommand, type ContainerDefinition } from "@aws-sdk/client-sagemaker";
import { useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { ErrorBox, Facts, Loading, PageHeader, Section } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";
import { KeyValueTable, S3Object } from "../../jobs/parts";

/** Route param: the model's name. */
export default function Model() {
  const { params } = useRoute();
  const name = decodeURIComponent(params.name);
  const { data: m, error } = useLoad(() => sagemaker().send(new DescribeModelCommand({ ModelName: name })), [name]);
  if (error) return <ErrorBox error={error} />;
  if (!m) return <Loading />;
  // A model has either one primary container or an inference pipeline.
  const containers = m.PrimaryContainer ? [m.PrimaryContainer] : (m.Containers ?? []);
  return (
    <>
      <PageHeader title={m.ModelName ?? name} />
      <Section title="Model settings">
        <Facts
          rows={[
            ["ARN", <code>{m.ModelArn}</code>],
            ["Creation time", formatTime(m.CreationTime)],
            ["IAM role ARN", <code>{m.ExecutionRoleArn}</code>],
            ["Network isolation", m.EnableNetworkIsolation ? "Enabled" : "Disabled"],
            ["VPC", m.VpcConfig ? `Subnets ${m.VpcConfig.Subnets?.join(", ")}` : "No VPC"],
            ["Container execution", m.InferenceExecutionConfig?.Mode ?? (containers.length > 1 ? "Serial" : undefined)],
          ]}
        />
      </Section>
      {containers.map((c, i) => (
        <ContainerSection key={i} container={c} title={containers.length > 1 ? `Container ${i + 1}` : "Container definition"} />
      ))}
      <p>
        Batch transform jobs of this model are listed under <a href={`${BASE}/transform-jobs`}>Batch transform jobs</a>.
      </p>
    </>
  );
}

function ContainerSection({ container: c, title }: { container: ContainerDefinition; title: string }) {
  return (
    <Section title={title}>
      <Facts
        rows={[
          [
            "Model package",
            c.ModelPackageName ? (
              <a href={`${BASE}/model-packages/${encodeURIComponent(c.ModelPackageName)}`}>{c.ModelPackageName}</a>
            ) : undefined,
          ],
          ["Image", c.Image ? <code>{c.Image}</code> : c.ModelPackageName ? "The model package's" : undefined],
          ["Model data URL", c.ModelDataUrl ? <S3Object uri={c.ModelDataUrl} label="Download model data" /> : undefined],
          ["Container host name", c.ContainerHostname],
          ["Mode", c.Mode],
        ]}
      />
      <h3>Environment</h3>
      <KeyValueTable entries={c.Environment} keyLabel="Key" empty="No environment variables." />
    </Section>
  );
}
