// The SageMaker runtime client (InvokeEndpoint), kept out of the shared
// aws.ts so it loads with the endpoint page only. Same origin, same
// session credentials; it signs for service `sagemaker` and posts to
// /endpoints/<name>/invocations, which the server routes to the runtime.
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { sagemaker, watchSession } from "../../aws";
import { region } from "../../config";
import { session } from "../../session";

/** The client and the session (access key) it was made for; see aws.ts. */
let client: { key: string | undefined; c: SageMakerRuntimeClient } | null = null;

export function runtime(): SageMakerRuntimeClient {
  const key = session()?.accessKeyId;
  if (!client || client.key !== key) {
    const c = watchSession(
      new SageMakerRuntimeClient({
        region,
        endpoint: location.origin,
        credentials: sagemaker().config.credentials,
        // A test invocation is sent once: a retry would double the latency shown.
        maxAttempts: 1,
      }),
    );
    client = { key, c };
  }
  return client.c;
}
