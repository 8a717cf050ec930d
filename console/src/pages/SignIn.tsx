import { useState } from "preact/hooks";
import { ErrorBox, Field } from "../components/ui";
import { signIn, signOutReason } from "../session";

export function SignIn() {
  const [accessKeyId, setAccessKeyId] = useState("");
  const [secret, setSecret] = useState("");
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);
  const reason = signOutReason();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await signIn(accessKeyId, secret);
    } catch (err) {
      setError((err as Error).message);
      setBusy(false);
    }
  };
  return (
    <main class="sign-in">
      <form onSubmit={submit} aria-labelledby="sign-in-title">
        <h1 id="sign-in-title">Sign in to Slipway</h1>
        <p class="hint">
          Use an account's access key: <code>slipway serve</code> prints the default account's as an{" "}
          <code>export</code> line, and <code>slipway account create</code> makes others.
        </p>
        {reason && !error && (
          <p class="notice" role="status">
            {reason}
          </p>
        )}
        <ErrorBox error={error} title="" />
        <Field label="Access key ID" id="access-key-id">
          <input
            id="access-key-id"
            name="accessKeyId"
            autoComplete="username"
            required
            value={accessKeyId}
            onInput={(e) => setAccessKeyId((e.target as HTMLInputElement).value)}
          />
        </Field>
        <Field label="Secret access key" id="secret-access-key">
          <input
            id="secret-access-key"
            name="secretAccessKey"
            type="password"
            autoComplete="current-password"
            required
            value={secret}
            onInput={(e) => setSecret((e.target as HTMLInputElement).value)}
          />
        </Field>
        <button type="submit" class="primary" disabled={busy}>
          Sign in
        </button>
      </form>
    </main>
  );
}
