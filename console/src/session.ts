// Sign-in: an account's long-term access key is exchanged, once, for
// temporary credentials with STS GetSessionToken on the server's own port
// (the AWS way); every later call is signed with those, in the browser, by
// the AWS SDK. The long-term secret is never stored. The session lives in
// sessionStorage, so it ends with the tab, and expires with its token.
import { GetCallerIdentityCommand, GetSessionTokenCommand, STSClient } from "@aws-sdk/client-sts";
import { useEffect, useState } from "preact/hooks";
import { region } from "./config";

export interface Session {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken: string;
  /** Expiry of the temporary credentials, ms since the epoch. */
  expiration: number;
  account: string;
  arn: string;
}

const STORAGE_KEY = "slipway.session";
/** 12 hours, GetSessionToken's default. */
const DURATION_SECONDS = 43200;

let current: Session | null = load();
/** Why the last session ended, shown on the sign-in page. */
let endedBecause: string | null = null;
const listeners = new Set<() => void>();
let expiryTimer: number | undefined;

function load(): Session | null {
  try {
    const raw = sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Session;
    return s.expiration > Date.now() ? s : null;
  } catch {
    return null;
  }
}

function notify() {
  for (const l of listeners) l();
}

function armExpiry() {
  window.clearTimeout(expiryTimer);
  if (!current) return;
  // setTimeout's delay is a signed 32-bit number of milliseconds.
  const ms = Math.min(current.expiration - Date.now(), 2 ** 31 - 1);
  expiryTimer = window.setTimeout(() => signOut("Your session expired. Sign in again."), Math.max(ms, 0));
}
armExpiry();

export function session(): Session | null {
  return current;
}

export function signOutReason(): string | null {
  return endedBecause;
}

/** Exchanges an access key for a session; throws an Error with a message for people. */
export async function signIn(accessKeyId: string, secretAccessKey: string): Promise<Session> {
  const longTerm = new STSClient({
    region,
    endpoint: location.origin,
    credentials: { accessKeyId: accessKeyId.trim(), secretAccessKey: secretAccessKey.trim() },
    maxAttempts: 1,
  });
  let creds;
  try {
    const out = await longTerm.send(new GetSessionTokenCommand({ DurationSeconds: DURATION_SECONDS }));
    creds = out.Credentials;
  } catch (e) {
    throw new Error(signInMessage(e));
  }
  if (!creds?.AccessKeyId || !creds.SecretAccessKey || !creds.SessionToken) {
    throw new Error("The server answered GetSessionToken without credentials.");
  }
  const temporary = {
    accessKeyId: creds.AccessKeyId,
    secretAccessKey: creds.SecretAccessKey,
    sessionToken: creds.SessionToken,
  };
  const who = await new STSClient({ region, endpoint: location.origin, credentials: temporary, maxAttempts: 1 }).send(
    new GetCallerIdentityCommand({}),
  );
  const s: Session = {
    ...temporary,
    expiration: creds.Expiration ? creds.Expiration.getTime() : Date.now() + DURATION_SECONDS * 1000,
    account: who.Account ?? "",
    arn: who.Arn ?? "",
  };
  current = s;
  endedBecause = null;
  sessionStorage.setItem(STORAGE_KEY, JSON.stringify(s));
  armExpiry();
  notify();
  return s;
}

function signInMessage(e: unknown): string {
  const name = (e as { name?: string }).name ?? "";
  if (["InvalidClientTokenId", "SignatureDoesNotMatch", "UnrecognizedClientException", "AccessDenied"].includes(name)) {
    return "Sign-in failed: the access key ID or the secret access key is wrong.";
  }
  if (e instanceof TypeError) return "Sign-in failed: the server cannot be reached.";
  return `Sign-in failed: ${(e as Error).message || name}`;
}

export function signOut(reason: string | null = null) {
  current = null;
  endedBecause = reason;
  sessionStorage.removeItem(STORAGE_KEY);
  window.clearTimeout(expiryTimer);
  notify();
}

/** The current session, re-rendering on sign-in, sign-out and expiry. */
export function useSession(): Session | null {
  const [, setTick] = useState(0);
  useEffect(() => {
    const l = () => setTick((t) => t + 1);
    listeners.add(l);
    return () => void listeners.delete(l);
  }, []);
  return current;
}
