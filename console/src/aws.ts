// The AWS SDK for JavaScript v3 clients, pointed at the page's own origin
// (the one port every Slipway API answers on) and signing with the
// session's temporary credentials. The console has no private API: what
// it shows is what these public APIs answer.
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { ECRClient } from "@aws-sdk/client-ecr";
import { S3Client } from "@aws-sdk/client-s3";
import { SageMakerClient } from "@aws-sdk/client-sagemaker";
import { region } from "./config";
import { session, signOut } from "./session";

/** The session's temporary credentials, for the SDK clients and for hand-signed calls (readiness.ts). */
export async function credentials() {
  const s = session();
  if (!s) throw new Error("Not signed in.");
  return {
    accessKeyId: s.accessKeyId,
    secretAccessKey: s.secretAccessKey,
    sessionToken: s.sessionToken,
    expiration: new Date(s.expiration),
  };
}

const common = () => ({
  region,
  endpoint: location.origin,
  credentials,
  // A console retries by the user's hand; a silent retry loop would hide
  // the error the user should read.
  maxAttempts: 1,
});

let clients: {
  sagemaker: SageMakerClient;
  s3: S3Client;
  logs: CloudWatchLogsClient;
  ecr: ECRClient;
} | null = null;

/** The session the clients sign for: each client memoizes the credentials it
 * resolved, so signing in as another account in the same tab needs new ones. */
let clientsFor: string | undefined;

function all() {
  const key = session()?.accessKeyId;
  if (!clients || clientsFor !== key) {
    clientsFor = key;
    clients = {
      sagemaker: new SageMakerClient(common()),
      // Path-style: bucket names are not host names on one loopback port.
      s3: new S3Client({ ...common(), forcePathStyle: true }),
      logs: new CloudWatchLogsClient(common()),
      ecr: new ECRClient(common()),
    };
    for (const c of Object.values(clients)) watchSession(c);
  }
  return clients;
}

/**
 * Any call answered "expired" ends the session with a message. Exported for
 * the clients a page makes for itself (the SageMaker runtime, S3 transfers).
 */
export function watchSession<C extends { middlewareStack: unknown }>(c: C): C {
  (c.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
    (next: (a: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (e) {
        endSessionOn(e);
        throw e;
      }
    },
    { step: "initialize", name: "slipwaySessionExpiry" },
  );
  return c;
}

export const sagemaker = () => all().sagemaker;
export const s3 = () => all().s3;
export const logs = () => all().logs;
export const ecr = () => all().ecr;
/** The settings every client above is made with, for a page's own client of another service. */
export const clientSettings = common;

/**
 * A page's own client, made again whenever the session changes (an SDK
 * client memoizes the credentials it first resolved, so a client kept
 * across a sign-in as another account would sign as the old one).
 */
export function perSession<C extends { middlewareStack: unknown }>(make: () => C): () => C {
  let made: C | undefined;
  let madeFor: string | undefined;
  return () => {
    const key = session()?.accessKeyId;
    if (!made || madeFor !== key) {
      madeFor = key;
      made = watchSession(make());
    }
    return made;
  };
}

/** Signs out, saying why, when a call's error means the session is over. */
export function endSessionOn(e: unknown) {
  const ended = sessionEnded(e);
  if (ended) signOut(ended);
}

/** Why a call's error ends the session, if it does. */
function sessionEnded(e: unknown): string | undefined {
  const name = (e as { name?: string }).name ?? "";
  if (["ExpiredToken", "ExpiredTokenException"].includes(name)) return "Your session expired. Sign in again.";
  // The server no longer knows the temporary key (its data was reset).
  if (["UnrecognizedClientException", "InvalidClientTokenId", "InvalidAccessKeyId"].includes(name)) {
    return "Your session is no longer valid. Sign in again.";
  }
  return undefined;
}

/** The AWS error's code and message, as a person reads them. */
export function describeError(e: unknown): string {
  if (e instanceof TypeError) return "The server cannot be reached.";
  const err = e as { name?: string; message?: string };
  const name = err.name && err.name !== "Error" ? `${err.name}: ` : "";
  return `${name}${err.message ?? String(e)}`;
}

/**
 * The request member an AWS validation message is about, if it names one:
 * "Value 'x' at 'inferenceSpecification.containers.1.image' failed to
 * satisfy constraint: …" → "InferenceSpecification.Containers.1.Image"
 * (members in the API's own PascalCase), so a form can show the error at
 * the field it concerns.
 */
export function erroredMember(e: unknown): string | undefined {
  const message = (e as { message?: string }).message ?? "";
  const m = /at '([^']+)'/.exec(message);
  if (!m) return undefined;
  return m[1]
    .split(".")
    .map((p) => (/^\d+$/.test(p) ? p : p.charAt(0).toUpperCase() + p.slice(1)))
    .join(".");
}
