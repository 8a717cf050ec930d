// "Test invocation": InvokeEndpoint from the browser, as a buyer's
// application would call it, with the answer, its content type, the variant
// that served it and the round trip measured here.
import type { ComponentChildren } from "preact";
import { InvokeEndpointCommand } from "@aws-sdk/client-sagemaker-runtime";
import { useState } from "preact/hooks";
import { describeError } from "../../aws";
import { formatBytes } from "../../format";
import { ErrorBox, Facts, Field } from "../ui";
import { runtime } from "./runtime";

const CONTENT_TYPES = ["application/json", "text/csv", "text/plain", "application/jsonlines", "application/x-npy", "application/octet-stream"];
const OTHER = "other";
const EXAMPLES: Record<string, string> = {
  "application/json": '{"instances": [[1.0, 2.0]]}',
  "text/csv": "1,1\n2,0",
  "text/plain": "hello",
  "application/jsonlines": '{"features": [1.0, 2.0]}',
};

interface Answer {
  ms: number;
  body?: string;
  binary?: number;
  contentType?: string;
  variant?: string;
  customAttributes?: string;
}

interface Failure {
  ms: number;
  message: string;
  modelError?: { status?: number; original?: string; logStream?: string };
}

/** The body as text if it is UTF-8, else only its size. */
function decode(bytes: Uint8Array | undefined): Pick<Answer, "body" | "binary"> {
  if (!bytes) return { body: "" };
  try {
    return { body: new TextDecoder("utf-8", { fatal: true }).decode(bytes) };
  } catch {
    return { binary: bytes.byteLength };
  }
}

export function InvokePanel({
  endpointName,
  variants,
  inService,
  onLogStream,
}: {
  endpointName: string;
  variants: string[];
  inService: boolean;
  /** Shows a log stream (from a ModelError's LogStreamArn) in the logs panel. */
  onLogStream?: (stream: string) => void;
}) {
  const [choice, setChoice] = useState("application/json");
  const [otherType, setOtherType] = useState("");
  const [accept, setAccept] = useState("");
  const [variant, setVariant] = useState("");
  const [body, setBody] = useState(EXAMPLES["application/json"]);
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<Answer>();
  const [failure, setFailure] = useState<Failure>();
  const contentType = choice === OTHER ? otherType.trim() : choice;

  const pickType = (t: string) => {
    // Swap the example only while the body is still an untouched example.
    if (t !== OTHER && (body === "" || Object.values(EXAMPLES).includes(body))) setBody(EXAMPLES[t] ?? "");
    setChoice(t);
  };

  const send = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setAnswer(undefined);
    setFailure(undefined);
    const started = performance.now();
    try {
      const out = await runtime().send(
        new InvokeEndpointCommand({
          EndpointName: endpointName,
          ContentType: contentType || undefined,
          Accept: accept.trim() || undefined,
          TargetVariant: variant || undefined,
          Body: new TextEncoder().encode(body),
        }),
      );
      setAnswer({
        ms: performance.now() - started,
        ...decode(out.Body),
        contentType: out.ContentType,
        variant: out.InvokedProductionVariant,
        customAttributes: out.CustomAttributes,
      });
    } catch (err) {
      const ms = performance.now() - started;
      const m = err as { name?: string; OriginalStatusCode?: number; OriginalMessage?: string; LogStreamArn?: string };
      setFailure({
        ms,
        message: describeError(err),
        modelError:
          m.name === "ModelError"
            ? { status: m.OriginalStatusCode, original: m.OriginalMessage, logStream: m.LogStreamArn }
            : undefined,
      });
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="panel invoke" aria-labelledby="invoke-title">
      <h2 id="invoke-title">Test invocation</h2>
      {!inService && <p class="notice">The endpoint answers invocations once it is InService.</p>}
      <form onSubmit={send}>
        <div class="two-fields">
          <Field label="Content type" id="invoke-content-type">
            <select id="invoke-content-type" value={choice} onChange={(e) => pickType((e.target as HTMLSelectElement).value)}>
              {CONTENT_TYPES.map((t) => (
                <option key={t} value={t}>
                  {t}
                </option>
              ))}
              <option value={OTHER}>Other…</option>
            </select>
          </Field>
          {choice === OTHER && (
            <Field label="Other content type" id="invoke-other-type">
              <input
                id="invoke-other-type"
                value={otherType}
                placeholder="application/vnd.example+json"
                onInput={(e) => setOtherType((e.target as HTMLInputElement).value)}
              />
            </Field>
          )}
          <Field label="Accept" id="invoke-accept" hint="Optional: the response type to ask for.">
            <input id="invoke-accept" value={accept} placeholder="*/*" onInput={(e) => setAccept((e.target as HTMLInputElement).value)} />
          </Field>
          <Field label="Target variant" id="invoke-variant" hint="Optional: otherwise traffic is split by weight.">
            <select id="invoke-variant" value={variant} onChange={(e) => setVariant((e.target as HTMLSelectElement).value)}>
              <option value="">Any (by weight)</option>
              {variants.map((v) => (
                <option key={v} value={v}>
                  {v}
                </option>
              ))}
            </select>
          </Field>
        </div>
        <Field label="Request body" id="invoke-body">
          <textarea id="invoke-body" rows={4} spellcheck={false} value={body} onInput={(e) => setBody((e.target as HTMLTextAreaElement).value)} />
        </Field>
        <button type="submit" class="primary" disabled={busy || !inService}>
          {busy ? "Sending…" : "Send request"}
        </button>
      </form>
      {answer && (
        <div class="invoke-result" aria-label="Response" role="region">
          <h3>Response</h3>
          <Facts
            rows={[
              ["Latency", `${Math.round(answer.ms)} ms`],
              ["Content type", answer.contentType],
              ["Invoked production variant", answer.variant],
              ...(answer.customAttributes ? [["Custom attributes", answer.customAttributes] as [string, string]] : []),
            ]}
          />
          {answer.binary !== undefined ? (
            <p>Binary response body, {formatBytes(answer.binary)}.</p>
          ) : (
            <pre class="response-body" aria-label="Response body">
              {answer.body}
            </pre>
          )}
        </div>
      )}
      {failure && (
        <div class="invoke-result" aria-label="Response" role="region">
          <h3>Response</h3>
          <ErrorBox title={failure.modelError ? "The model container answered with an error." : "The call failed."} error={failure.message} />
          <Facts
            rows={[
              ["Latency", `${Math.round(failure.ms)} ms`],
              ...(failure.modelError
                ? ([
                    ["Original status code", String(failure.modelError.status ?? "—")],
                    ["Original message", <pre>{failure.modelError.original}</pre>],
                    [
                      "Log stream ARN",
                      failure.modelError.logStream && (
                        <>
                          <code>{failure.modelError.logStream}</code>{" "}
                          {onLogStream && (
                            <button type="button" class="link" onClick={() => onLogStream(streamOf(failure.modelError!.logStream!))}>
                              Show this log stream
                            </button>
                          )}
                        </>
                      ),
                    ],
                  ] as [string, ComponentChildren][])
                : []),
            ]}
          />
        </div>
      )}
    </section>
  );
}

/** arn:aws:logs:region:account:log-group:GROUP:log-stream:STREAM → STREAM. */
function streamOf(arn: string): string {
  const i = arn.indexOf(":log-stream:");
  return i < 0 ? arn : arn.slice(i + ":log-stream:".length);
}
