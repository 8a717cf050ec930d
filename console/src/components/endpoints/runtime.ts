// The SageMaker runtime client (InvokeEndpoint), kept out of the shared
// aws.ts so it loads with the endpoint page only. Same origin, same
// session credentials; it signs for service `sagemaker` and posts to
// /endpoints/<name>/invocations, which the server routes to the runtime.
import { SageMakerRuntimeClient } from "@aws-sdk/client-sagemaker-runtime";
import { sagemaker } from "../../aws";
import { region } from "../../config";

let client: SageMakerRuntimeClient | null = null;

export function runtime(): SageMakerRuntimeClient {
  if (!client) {
    client = new SageMakerRuntimeClient({
      region,
      endpoint: location.origin,
      credentials: sagemaker().config.credentials,
      // A test invocation is sent once: a retry would double the latency shown.
      maxAttempts: 1,
    });
  }
  return client;
}
