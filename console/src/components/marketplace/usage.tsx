// How a subscriber uses a product: the marketplace's copy of each
// available version by ARN, with the one call that uses it from the
// SageMaker Python SDK and from boto3. AWS Marketplace resources run only
// with network isolation: the SDK turns it on by itself for a resource
// that carries a ProductId; a boto3 request must say so.
import { Command } from "../storage/CopyButton";
import type { Version } from "../../marketplace";

export interface Usable {
  version: string;
  kind: "model-package" | "algorithm";
  arn: string;
}

/** The copies a subscriber may use: each source of a version with a delivery option still open to buyers. */
export function usableCopies(versions: Version[]): Usable[] {
  const out: Usable[] = [];
  for (const v of versions) {
    if (!(v.DeliveryOptions ?? []).some((o) => o.Visibility !== "Restricted")) continue;
    for (const s of v.Sources ?? []) {
      if (s.ModelPackageArn) out.push({ version: v.VersionTitle ?? v.Id, kind: "model-package", arn: s.ModelPackageArn });
      else if (s.AlgorithmArn) out.push({ version: v.VersionTitle ?? v.Id, kind: "algorithm", arn: s.AlgorithmArn });
    }
  }
  return out;
}

/** The SageMaker Python SDK line and the boto3 request for one copy. */
export function snippets(u: Usable): { sdk: string; boto3: string } {
  if (u.kind === "model-package") {
    return {
      sdk: `ModelPackage(role=role, model_package_arn="${u.arn}").deploy(initial_instance_count=1, instance_type="ml.m5.large")`,
      boto3: `sm.create_model(ModelName="my-model", ExecutionRoleArn=role, PrimaryContainer={"ModelPackageName": "${u.arn}"}, EnableNetworkIsolation=True)`,
    };
  }
  return {
    sdk: `AlgorithmEstimator(algorithm_arn="${u.arn}", role=role, instance_count=1, instance_type="ml.m5.large").fit({"training": "s3://BUCKET/train/"})`,
    boto3:
      `sm.create_training_job(TrainingJobName="my-job", RoleArn=role, AlgorithmSpecification={"AlgorithmName": "${u.arn}", "TrainingInputMode": "File"}, ` +
      `EnableNetworkIsolation=True, InputDataConfig=[...], OutputDataConfig={"S3OutputPath": "s3://BUCKET/out/"}, ` +
      `ResourceConfig={"InstanceType": "ml.m5.large", "InstanceCount": 1, "VolumeSizeInGB": 10}, StoppingCondition={"MaxRuntimeInSeconds": 3600})`,
  };
}

export function UsageView({ versions }: { versions: Version[] }) {
  const usable = usableCopies(versions);
  if (!usable.length) return <p class="empty">No version is available to use.</p>;
  return (
    <>
      <p class="intro">
        Use a version by the ARN of AWS Marketplace's copy, from your own account, with network isolation (a Marketplace resource runs
        with no network access).
      </p>
      {usable.map((u) => {
        const s = snippets(u);
        return (
          <div class="usage" key={u.arn} data-version={u.version}>
            <h3>
              Version <span class="version-title">{u.version}</span>
            </h3>
            <Command text={u.arn} what={`the ARN of version ${u.version}`} />
            <div class="muted">SageMaker Python SDK ({u.kind === "model-package" ? "sagemaker.ModelPackage" : "sagemaker.AlgorithmEstimator"})</div>
            <Command text={s.sdk} what={`the SageMaker Python SDK call for version ${u.version}`} />
            <div class="muted">boto3</div>
            <Command text={s.boto3} what={`the boto3 call for version ${u.version}`} />
          </div>
        );
      })}
    </>
  );
}
