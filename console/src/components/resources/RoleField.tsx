// "IAM role": the role validation's jobs run as (ValidationRole), chosen
// from the account's roles (IAM ListRoles, on the same port), or any ARN.
import { IAMClient, ListRolesCommand, type Role } from "@aws-sdk/client-iam";
import { useEffect } from "preact/hooks";
import { clientSettings, perSession } from "../../aws";
import { useLoad } from "../../hooks";
import { Field } from "../ui";

const iam = perSession(() => new IAMClient(clientSettings()));

async function allRoles(): Promise<Role[]> {
  const roles: Role[] = [];
  let marker: string | undefined;
  do {
    const out = await iam().send(new ListRolesCommand({ Marker: marker, MaxItems: 1000 }));
    roles.push(...(out.Roles ?? []));
    marker = out.IsTruncated ? out.Marker : undefined;
  } while (marker && roles.length < 5000);
  return roles;
}

export function RoleField({
  id,
  value,
  onChange,
  error,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  error?: string;
}) {
  const roles = useLoad(allRoles, []);
  // An empty field takes the account's first role (Slipway creates a default execution role).
  useEffect(() => {
    const first = roles.data?.[0]?.Arn;
    if (!value && first) onChange(first);
  }, [roles.data]);
  return (
    <Field
      id={id}
      label="IAM role"
      hint="The role the validation's jobs run as (ValidationRole). Choose one of the account's roles or enter a role ARN."
      error={error ?? (roles.error ? `The account's roles could not be listed: ${roles.error}` : undefined)}
    >
      <input
        id={id}
        list={`${id}-roles`}
        value={value}
        spellcheck={false}
        placeholder="arn:aws:iam::ACCOUNT:role/NAME"
        onInput={(e) => onChange((e.target as HTMLInputElement).value)}
        aria-invalid={error ? true : undefined}
      />
      <datalist id={`${id}-roles`}>
        {roles.data?.map((r) => (
          <option key={r.Arn} value={r.Arn}>
            {r.RoleName}
          </option>
        ))}
      </datalist>
      {roles.data && roles.data.length > 1 && (
        <select aria-label="Roles of this account" value={roles.data.some((r) => r.Arn === value) ? value : ""} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
          <option value="">Choose a role…</option>
          {roles.data.map((r) => (
            <option key={r.Arn} value={r.Arn}>
              {r.RoleName}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
