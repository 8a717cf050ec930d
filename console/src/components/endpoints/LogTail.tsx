// The last lines of an endpoint's container logs
// (/aws/sagemaker/Endpoints/<name>, one stream per container), read with
// CloudWatch Logs DescribeLogStreams and GetLogEvents and refreshed while
// the page is open.
import { DescribeLogStreamsCommand, GetLogEventsCommand } from "@aws-sdk/client-cloudwatch-logs";
import { logs } from "../../aws";
import { Command } from "../storage/CopyButton";
import { ErrorBox, Field } from "../ui";
import { useLoad } from "../../hooks";

const LINES = 200;

export function LogTail({
  group,
  stream,
  onStream,
}: {
  group: string;
  /** The stream shown; the newest one when not chosen. */
  stream: string | undefined;
  onStream: (s: string) => void;
}) {
  const streams = useLoad(
    async () => {
      try {
        const out = await logs().send(
          new DescribeLogStreamsCommand({ logGroupName: group, orderBy: "LastEventTime", descending: true, limit: 50 }),
        );
        return out.logStreams ?? [];
      } catch (e) {
        // No container has written yet: the group does not exist.
        if ((e as { name?: string }).name === "ResourceNotFoundException") return [];
        throw e;
      }
    },
    [group],
    5000,
  );
  const shown = stream ?? streams.data?.[0]?.logStreamName;
  const events = useLoad(
    async () =>
      shown
        ? ((
            await logs().send(new GetLogEventsCommand({ logGroupName: group, logStreamName: shown, startFromHead: false, limit: LINES }))
          ).events ?? [])
        : [],
    [group, shown],
    3000,
  );
  return (
    <section class="panel" aria-labelledby="logs-title">
      <h2 id="logs-title">Logs</h2>
      <p>
        Log group <code>{group}</code>: one log stream per container. From a terminal:
      </p>
      <Command text={`aws logs tail ${group} --follow --endpoint-url ${location.origin}`} what="logs command" />
      <ErrorBox error={streams.error ?? events.error} />
      {streams.data && streams.data.length === 0 && <p class="empty">No logs yet: the containers have not written any.</p>}
      {streams.data && streams.data.length > 0 && (
        <>
          <Field label="Log stream" id="log-stream">
            <select id="log-stream" value={shown} onChange={(e) => onStream((e.target as HTMLSelectElement).value)}>
              {/* A stream named by a ModelError may not be among the newest 50. */}
              {shown && !streams.data.some((s) => s.logStreamName === shown) && <option value={shown}>{shown}</option>}
              {streams.data.map((s) => (
                <option key={s.logStreamName} value={s.logStreamName}>
                  {s.logStreamName}
                </option>
              ))}
            </select>
          </Field>
          <pre class="log-lines" aria-label="Log events" tabIndex={0}>
            {(events.data ?? []).map((e) => `${e.timestamp ? new Date(e.timestamp).toISOString() : ""}  ${e.message ?? ""}\n`).join("")}
          </pre>
          {events.data && events.data.length === 0 && <p class="empty">This log stream is empty.</p>}
        </>
      )}
    </section>
  );
}
