import { DeleteAlgorithmCommand, DescribeAlgorithmCommand } from "@aws-sdk/client-sagemaker";
import { useLocation, useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { PublishAction } from "../../components/marketplace/PublishAction";
import { Readiness } from "../../components/readiness/Readiness";
import { DeleteButton } from "../../components/resources/DeleteButton";
import {
  ChannelsTable,
  DefinitionView,
  FailureBanner,
  HyperparametersTable,
  InferenceSpecificationView,
  MetricsTable,
  ValidationTable,
} from "../../components/resources/specs";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";

const ENDED = ["Completed", "Failed", "Deleting"];

export default function Algorithm() {
  const { params } = useRoute();
  const { route } = useLocation();
  const name = decodeURIComponent(params.name);
  const { data: a, error } = useLoad(
    () => sagemaker().send(new DescribeAlgorithmCommand({ AlgorithmName: name })),
    [name],
    3000,
  );
  if (error) return <ErrorBox error={error} />;
  if (!a) return <Loading />;
  const statuses = a.AlgorithmStatusDetails?.ValidationStatuses;
  const t = a.TrainingSpecification;
  return (
    <>
      <PageHeader title={a.AlgorithmName ?? name}>
        <DeleteButton
          noun="algorithm"
          name={a.AlgorithmName ?? name}
          remove={() => sagemaker().send(new DeleteAlgorithmCommand({ AlgorithmName: a.AlgorithmName }))}
          after={() => route(`${BASE}/algorithms`)}
        />
      </PageHeader>
      {a.AlgorithmStatus === "Failed" && <FailureBanner noun="algorithm" statuses={statuses} />}
      <Section title="Summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={a.AlgorithmStatus} />],
            ["ARN", <code>{a.AlgorithmArn}</code>],
            ["Certified for AWS Marketplace", a.CertifyForMarketplace ? "Yes" : "No"],
            ["Creation time", formatTime(a.CreationTime)],
            ["Description", a.AlgorithmDescription],
          ]}
        />
      </Section>
      <PublishAction kind="algorithm" name={a.AlgorithmName ?? name} status={a.AlgorithmStatus} certified={!!a.CertifyForMarketplace} versioned={false} />
      <Section title="Validation">
        {!ENDED.includes(a.AlgorithmStatus ?? "") && statuses?.length ? (
          <p class="notice" aria-live="polite">
            Validation is running: this page updates by itself.
          </p>
        ) : null}
        <Facts rows={[["IAM role", <code>{a.ValidationSpecification?.ValidationRole ?? "—"}</code>]]} />
        <ValidationTable resource={a.AlgorithmName ?? name} created={a.CreationTime} statuses={statuses} withTraining />
        {a.ValidationSpecification?.ValidationProfiles?.map((p) => (
          <div key={p.ProfileName}>
            <DefinitionView title={`Training job definition of ${p.ProfileName}`} value={p.TrainingJobDefinition} />
            <DefinitionView title={`Transform job definition of ${p.ProfileName}`} value={p.TransformJobDefinition} />
          </div>
        ))}
      </Section>
      {a.AlgorithmArn && <Readiness key={a.AlgorithmArn} arn={a.AlgorithmArn} />}
      <Section title="Training specification">
        <Facts
          rows={[
            ["Training image", <code>{t?.TrainingImage}</code>],
            ["Training instance types", t?.SupportedTrainingInstanceTypes?.join(", ") || "—"],
            ["Supports distributed training", t?.SupportsDistributedTraining ? "Yes" : "No"],
          ]}
        />
        <h3>Channel specification</h3>
        <ChannelsTable channels={t?.TrainingChannels} />
        <h3>Hyperparameters</h3>
        <HyperparametersTable params={t?.SupportedHyperParameters} />
        <h3>Metric definitions</h3>
        <MetricsTable metrics={t?.MetricDefinitions} objectives={t?.SupportedTuningJobObjectiveMetrics} />
      </Section>
      <Section title="Inference specification">
        <InferenceSpecificationView spec={a.InferenceSpecification} />
      </Section>
    </>
  );
}
