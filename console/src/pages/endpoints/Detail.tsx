import { DeleteEndpointCommand, DescribeEndpointCommand, DescribeEndpointConfigCommand } from "@aws-sdk/client-sagemaker";
import { useLocation, useRoute } from "preact-iso";
import { useState } from "preact/hooks";
import { sagemaker } from "../../aws";
import { InvokePanel } from "../../components/endpoints/InvokePanel";
import { LogTail } from "../../components/endpoints/LogTail";
import { Variants } from "../../components/endpoints/Variants";
import { ConfirmButton } from "../../components/storage/ConfirmButton";
import { ErrorBox, Facts, Loading, PageHeader, Section, StatusBadge } from "../../components/ui";
import { BASE } from "../../config";
import { formatTime } from "../../format";
import { useLoad } from "../../hooks";

/** Route param: the endpoint's name. */
export default function Endpoint() {
  const { params } = useRoute();
  const { route } = useLocation();
  const name = params.name;
  const [stream, setStream] = useState<string>();
  const { data: e, error } = useLoad(() => sagemaker().send(new DescribeEndpointCommand({ EndpointName: name })), [name], 3000);
  const configName = e?.EndpointConfigName;
  // The config never changes under a name; it is read again only when the
  // endpoint moves to another one (UpdateEndpoint).
  const { data: config, error: configError } = useLoad(
    async () => (configName ? sagemaker().send(new DescribeEndpointConfigCommand({ EndpointConfigName: configName })) : undefined),
    [configName],
  );
  if (error) return <ErrorBox error={error} />;
  if (!e) return <Loading />;
  const status = e.EndpointStatus;
  const variants = (config?.ProductionVariants ?? []).map((v) => v.VariantName ?? "").filter(Boolean);
  return (
    <>
      <nav class="breadcrumb" aria-label="Breadcrumb">
        <ol>
          <li>
            <a href={`${BASE}/endpoints`}>Endpoints</a>
          </li>
          <li>
            <span aria-current="page">{name}</span>
          </li>
        </ol>
      </nav>
      <PageHeader title={name}>
        <ConfirmButton
          label="Delete"
          accessibleLabel="Delete endpoint"
          title={`Delete endpoint ${name}?`}
          confirmLabel="Delete endpoint"
          onConfirm={async () => {
            await sagemaker().send(new DeleteEndpointCommand({ EndpointName: name }));
            route(`${BASE}/endpoints`);
          }}
        >
          <p>
            Its containers are stopped and it stops answering invocations. The endpoint configuration{" "}
            <code>{configName}</code> and the models stay.
          </p>
        </ConfirmButton>
      </PageHeader>
      {e.FailureReason && (
        <div class={status === "Failed" ? "error-box failure-reason" : "notice failure-reason"} role="alert">
          <strong>{status === "Failed" ? "Failure reason:" : "The last update failed:"}</strong> {e.FailureReason}
        </div>
      )}
      <Section title="Endpoint summary">
        <Facts
          rows={[
            ["Status", <StatusBadge status={status} />],
            ["ARN", <code>{e.EndpointArn}</code>],
            ["Creation time", formatTime(e.CreationTime)],
            ["Last updated", formatTime(e.LastModifiedTime)],
            ["URL", <code>{`${location.origin}/endpoints/${name}/invocations`}</code>],
            ["Endpoint configuration", configName],
          ]}
        />
      </Section>
      <Section title="Production variants">
        <ErrorBox error={configError} />
        <Variants endpoint={e} config={config} />
        {e.PendingDeploymentSummary && (
          <p class="notice">
            Deploying endpoint configuration <code>{e.PendingDeploymentSummary.EndpointConfigName}</code> (started{" "}
            {formatTime(e.PendingDeploymentSummary.StartTime)}): traffic moves once all its instances pass their health
            check.
          </p>
        )}
      </Section>
      <InvokePanel endpointName={name} variants={variants} inService={status === "InService"} onLogStream={setStream} />
      {config && (
        <Section title="Endpoint configuration">
          <Facts
            rows={[
              ["Name", config.EndpointConfigName],
              ["ARN", <code>{config.EndpointConfigArn}</code>],
              ["Creation time", formatTime(config.CreationTime)],
              ["Network isolation", config.EnableNetworkIsolation ? "Enabled" : "Disabled"],
              ["Data capture", config.DataCaptureConfig?.EnableCapture ? "Enabled" : "Disabled"],
            ]}
          />
        </Section>
      )}
      <LogTail group={`/aws/sagemaker/Endpoints/${name}`} stream={stream} onStream={setStream} />
    </>
  );
}
