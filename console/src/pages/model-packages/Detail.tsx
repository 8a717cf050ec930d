import type { ComponentChildren } from "preact";
import { DeleteModelPackageCommand, DescribeModelPackageCommand } from "@aws-sdk/client-sagemaker";
import { useLocation, useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { PublishAction } from "../../components/marketplace/PublishAction";
import { Readiness } from "../../components/readiness/Readiness";
import { DeleteButton } from "../../components/resources/DeleteButton";
import { DefinitionView, FailureBanner, InferenceSpecificationView, ValidationTable } from "../../components/resources/specs";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";

const ENDED = ["Completed", "Failed", "Deleting"];

/** Route param: the package's ARN or name (URL-encoded). */
export default function ModelPackage() {
  const { params } = useRoute();
  const { route } = useLocation();
  const id = decodeURIComponent(params.id);
  const { data: p, error } = useLoad(
    () => sagemaker().send(new DescribeModelPackageCommand({ ModelPackageName: id })),
    [id],
    3000,
  );
  if (error) return <ErrorBox error={error} />;
  if (!p) return <Loading />;
  const statuses = p.ModelPackageStatusDetails?.ValidationStatuses;
  const title = p.ModelPackageVersion ? `${p.ModelPackageName} (version ${p.ModelPackageVersion})` : (p.ModelPackageName ?? id);
  return (
    <>
      <PageHeader title={title}>
        <DeleteButton
          noun="model package"
          name={title}
          remove={() => sagemaker().send(new DeleteModelPackageCommand({ ModelPackageName: p.ModelPackageArn }))}
          after={() => route(`${BASE}/model-packages`)}
        />
      </PageHeader>
      {p.ModelPackageStatus === "Failed" && <FailureBanner noun="model package" statuses={statuses} />}
      <Section title="Summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={p.ModelPackageStatus} />],
            ["ARN", <code>{p.ModelPackageArn}</code>],
            ["Certified for AWS Marketplace", p.CertifyForMarketplace ? "Yes" : "No"],
            ["Creation time", formatTime(p.CreationTime)],
            ["Description", p.ModelPackageDescription],
            ...(p.ModelPackageGroupName
              ? ([
                  [
                    "Model package group",
                    <a href={`${BASE}/model-package-groups/${encodeURIComponent(p.ModelPackageGroupName)}`}>{p.ModelPackageGroupName}</a>,
                  ],
                  ["Approval status", p.ModelApprovalStatus],
                ] as [string, ComponentChildren][])
              : []),
          ]}
        />
      </Section>
      <PublishAction kind="model-package" name={p.ModelPackageName ?? id} status={p.ModelPackageStatus} certified={!!p.CertifyForMarketplace} versioned={!!p.ModelPackageGroupName} />
      <Section title="Validation">
        {!ENDED.includes(p.ModelPackageStatus ?? "") && statuses?.length ? (
          <p class="notice" aria-live="polite">
            Validation is running: this page updates by itself.
          </p>
        ) : null}
        <Facts rows={[["IAM role", <code>{p.ValidationSpecification?.ValidationRole ?? "—"}</code>]]} />
        <ValidationTable
          resource={p.ModelPackageName ?? ""}
          version={p.ModelPackageVersion}
          created={p.CreationTime}
          statuses={statuses}
          withTraining={false}
        />
        {p.ValidationSpecification?.ValidationProfiles?.map((prof) => (
          <DefinitionView key={prof.ProfileName} title={`Transform job definition of ${prof.ProfileName}`} value={prof.TransformJobDefinition} />
        ))}
      </Section>
      {p.ModelPackageArn && <Readiness key={p.ModelPackageArn} arn={p.ModelPackageArn} />}
      <Section title="Inference specification">
        <InferenceSpecificationView spec={p.InferenceSpecification} />
      </Section>
    </>
  );
}
