// The endpoint's production variants, as they serve now (DescribeEndpoint)
// joined with how they were configured (DescribeEndpointConfig: model and
// instance type are only there).
import type { DescribeEndpointConfigCommandOutput, DescribeEndpointCommandOutput } from "@aws-sdk/client-sagemaker";
import { BASE } from "../../config";
import { StatusBadge } from "../ui";

export const modelHref = (name: string) => `${BASE}/models/${encodeURIComponent(name)}`;

export function Variants({
  endpoint,
  config,
}: {
  endpoint: DescribeEndpointCommandOutput;
  config: DescribeEndpointConfigCommandOutput | undefined;
}) {
  const configured = new Map((config?.ProductionVariants ?? []).map((v) => [v.VariantName, v]));
  const serving = endpoint.ProductionVariants ?? [];
  // Before the first deployment serves, DescribeEndpoint may list none yet.
  const names = serving.length ? serving.map((v) => v.VariantName) : [...configured.keys()];
  return (
    <>
      <table class="list variants">
        <thead>
          <tr>
            <th scope="col">Variant name</th>
            <th scope="col">Model name</th>
            <th scope="col">Instance type</th>
            <th scope="col">Current / desired instance count</th>
            <th scope="col">Current / desired weight</th>
            <th scope="col">Variant status</th>
            <th scope="col">Deployed image</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => {
            const s = serving.find((v) => v.VariantName === name);
            const c = configured.get(name);
            return (
              <tr key={name}>
                <td>{name}</td>
                <td>{c?.ModelName ? <a href={modelHref(c.ModelName)}>{c.ModelName}</a> : "—"}</td>
                <td>{c?.InstanceType ?? "—"}</td>
                <td>
                  {s?.CurrentInstanceCount ?? 0} / {s?.DesiredInstanceCount ?? c?.InitialInstanceCount ?? "—"}
                </td>
                <td>
                  {s?.CurrentWeight ?? "—"} / {s?.DesiredWeight ?? c?.InitialVariantWeight ?? "—"}
                </td>
                <td>
                  {s?.VariantStatus?.length
                    ? s.VariantStatus.map((st) => (
                        <div key={st.Status} title={st.StatusMessage}>
                          <StatusBadge status={st.Status} /> {st.StatusMessage}
                        </div>
                      ))
                    : "—"}
                </td>
                <td>
                  {s?.DeployedImages?.map((d) => (
                    <code key={d.SpecifiedImage} title={d.ResolvedImage}>
                      {d.SpecifiedImage}
                    </code>
                  )) ?? "—"}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p class="table-note">
        Current instance count: the instances passing their health check (GET /ping) now. Each instance's container logs
        are a log stream below.
      </p>
    </>
  );
}
