import { DescribeModelPackageCommand } from "@aws-sdk/client-sagemaker";
import { useRoute } from "preact-iso";
import { sagemaker } from "../../aws";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";

/** Route param: the package's ARN or name (URL-encoded). */
export default function ModelPackage() {
  const { params } = useRoute();
  const id = decodeURIComponent(params.id);
  const { data: p, error } = useLoad(
    () => sagemaker().send(new DescribeModelPackageCommand({ ModelPackageName: id })),
    [id],
    3000,
  );
  if (error) return <ErrorBox error={error} />;
  if (!p) return <Loading />;
  const status = p.ModelPackageStatusDetails;
  return (
    <>
      <PageHeader title={p.ModelPackageName ?? id} />
      {p.ModelPackageStatus === "Failed" && (
        <div class="error-box failure-reason" role="alert">
          <strong>Validation failed.</strong>{" "}
          {status?.ValidationStatuses?.map((v) => v.FailureReason).filter(Boolean).join(" ") || "No reason given."}
        </div>
      )}
      <Section title="Summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={p.ModelPackageStatus} />],
            ["ARN", <code>{p.ModelPackageArn}</code>],
            ["Certified for AWS Marketplace", p.CertifyForMarketplace ? "Yes" : "No"],
            ["Creation time", formatTime(p.CreationTime)],
            ["Description", p.ModelPackageDescription],
          ]}
        />
      </Section>
      <Section title="Validation">
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Validation profile</th>
              <th scope="col">Status</th>
              <th scope="col">Failure reason</th>
            </tr>
          </thead>
          <tbody>
            {status?.ValidationStatuses?.map((v) => (
              <tr key={v.Name}>
                <td>{v.Name}</td>
                <td>
                  <StatusBadge status={v.Status} />
                </td>
                <td>{v.FailureReason ?? "—"}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {p.ValidationSpecification?.ValidationProfiles?.map((prof) => (
          <p key={prof.ProfileName}>
            Transform job of profile {prof.ProfileName}:{" "}
            <a href={`${BASE}/transform-jobs?profile=${encodeURIComponent(prof.ProfileName ?? "")}`}>batch transform jobs</a>
          </p>
        ))}
      </Section>
      <Section title="Inference specification">
        <Facts
          rows={[
            ["Location of inference image", <code>{p.InferenceSpecification?.Containers?.[0]?.Image}</code>],
            ["Location of model data artifacts", <code>{p.InferenceSpecification?.Containers?.[0]?.ModelDataUrl ?? "—"}</code>],
            ["Supported instance types (batch transform)", p.InferenceSpecification?.SupportedTransformInstanceTypes?.join(", ")],
            ["Supported instance types (real-time)", p.InferenceSpecification?.SupportedRealtimeInferenceInstanceTypes?.join(", ")],
            ["Content types", p.InferenceSpecification?.SupportedContentTypes?.join(", ")],
            ["Response MIME types", p.InferenceSpecification?.SupportedResponseMIMETypes?.join(", ")],
          ]}
        />
      </Section>
    </>
  );
}
