// The jobs a validation ran, found by the names the server gives them
// (crates/slipway-service/src/validation/run.rs, JobNames): per profile,
// `<resource[-vN], 30 chars>-<profile, 14 chars>-<8 hex>-train` and
// `…-batch`. The hash part mixes in the resource's creation, so a listing
// by the known prefix, keeping jobs created after the resource, finds them.
import { ListTrainingJobsCommand, ListTransformJobsCommand } from "@aws-sdk/client-sagemaker";
import { sagemaker } from "../../aws";

function clip(s: string, n: number): string {
  return [...s]
    .filter((c) => /[a-zA-Z0-9-]/.test(c))
    .slice(0, n)
    .join("")
    .replace(/^-+|-+$/g, "");
}

export function validationJobStem(resource: string, version: number | undefined, profile: string): string {
  const base = version ? `${resource}-v${version}` : resource;
  return `${clip(base, 30)}-${clip(profile, 14)}-`;
}

export interface ValidationJobs {
  training?: string;
  transform?: string;
}

function pick(stem: string, suffix: string, after: Date | undefined, jobs: { name?: string; created?: Date }[]) {
  const re = new RegExp(`^${stem.replace(/[-]/g, "\\-")}[0-9a-f]{8}-${suffix}$`);
  const since = (after?.getTime() ?? 0) - 2000;
  return jobs
    .filter((j) => j.name && re.test(j.name) && (j.created?.getTime() ?? 0) >= since)
    .sort((a, b) => (a.created?.getTime() ?? 0) - (b.created?.getTime() ?? 0))[0]?.name;
}

export async function findValidationJobs(
  resource: string,
  version: number | undefined,
  profile: string,
  created: Date | undefined,
  withTraining: boolean,
): Promise<ValidationJobs> {
  const stem = validationJobStem(resource, version, profile);
  const [training, transform] = await Promise.all([
    withTraining
      ? sagemaker()
          .send(new ListTrainingJobsCommand({ NameContains: stem, MaxResults: 100 }))
          .then((o) => o.TrainingJobSummaries?.map((j) => ({ name: j.TrainingJobName, created: j.CreationTime })) ?? [])
      : Promise.resolve([]),
    sagemaker()
      .send(new ListTransformJobsCommand({ NameContains: stem, MaxResults: 100 }))
      .then((o) => o.TransformJobSummaries?.map((j) => ({ name: j.TransformJobName, created: j.CreationTime })) ?? []),
  ]);
  return { training: pick(stem, "train", created, training), transform: pick(stem, "batch", created, transform) };
}
