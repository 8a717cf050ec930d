// The form parts the Publish and Add-a-version pages share: a version's
// delivery option (title, notes, usage, recommended instance types picked
// from the resource's supported ones) and the hourly prices per pricing
// dimension. Checks here are the ones a person should hear about before
// sending; everything else is the change set's to refuse, at its change.
import type { DeliveryInput, PricingDimension, Publishable } from "../../marketplace";
import { validPrice } from "../../marketplace";
import { Field } from "../ui";

export type Errors = Record<string, string>;

export function emptyDelivery(r: Publishable): DeliveryInput {
  return {
    versionTitle: "",
    releaseNotes: "",
    usage: "",
    accessRoleArn: "",
    batch: r.batch[0] ?? "",
    realtime: r.realtime[0] ?? "",
    training: r.training[0] ?? "",
  };
}

export function checkDelivery(d: DeliveryInput, errors: Errors) {
  if (!d.versionTitle.trim()) errors.versionTitle = "Give the version a title (buyers see it, e.g. “1.0”).";
  if (!d.releaseNotes.trim()) errors.releaseNotes = "Say what this version brings.";
  if (!d.usage.trim()) errors.usage = "Tell buyers how to call the model (content types, input, output).";
}

export function checkPrices(dims: PricingDimension[], free: boolean, prices: Record<string, string>, errors: Errors) {
  if (free) return;
  for (const d of dims) {
    if (!validPrice(prices[d.key] ?? "")) errors[`price-${d.key}`] = "A price in USD per hour, e.g. 0.25 (at most 3 decimals).";
  }
}

const text = (e: Event) => (e.target as HTMLInputElement).value;

export function DeliveryFields({
  r,
  value: d,
  onChange,
  errors,
}: {
  r: Publishable;
  value: DeliveryInput;
  onChange: (d: DeliveryInput) => void;
  errors: Errors;
}) {
  const set = (k: keyof DeliveryInput) => (e: Event) => onChange({ ...d, [k]: text(e) });
  const picker = (k: "batch" | "realtime" | "training", label: string, options: string[]) => (
    <Field label={label} id={`mkt-${k}`} hint={supportedHint(r, options)}>
      <select id={`mkt-${k}`} value={d[k]} onChange={set(k)} disabled={!options.length}>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Field>
  );
  return (
    <>
      <div class="two-fields">
        <Field label="Version title" id="mkt-version-title" error={errors.versionTitle} hint="Unique within the product, e.g. 1.0.">
          <input id="mkt-version-title" value={d.versionTitle} onInput={set("versionTitle")} maxLength={100} />
        </Field>
        <Field label="Access role ARN (optional)" id="mkt-access-role" hint="The role AWS Marketplace assumes to copy the resource.">
          <input id="mkt-access-role" value={d.accessRoleArn} onInput={set("accessRoleArn")} />
        </Field>
      </div>
      <Field label="Release notes" id="mkt-release-notes" error={errors.releaseNotes}>
        <textarea id="mkt-release-notes" rows={3} value={d.releaseNotes} onInput={set("releaseNotes")} maxLength={30000} />
      </Field>
      <Field label="Usage instructions" id="mkt-usage" error={errors.usage} hint="What a buyer sends and gets back.">
        <textarea id="mkt-usage" rows={4} value={d.usage} onInput={set("usage")} maxLength={30000} />
      </Field>
      <div class="two-fields">
        {r.kind === "algorithm" && picker("training", "Recommended training instance type", r.training)}
        {picker("batch", "Recommended batch transform instance type", r.batch)}
        {picker("realtime", "Recommended real-time inference instance type", r.realtime)}
      </div>
    </>
  );
}

export function PricingFields({
  dims,
  free,
  prices,
  onFree,
  onPrices,
  errors,
}: {
  dims: PricingDimension[];
  free: boolean;
  prices: Record<string, string>;
  /** Without it, no Free/hourly choice: prices only. */
  onFree?: (free: boolean) => void;
  onPrices: (p: Record<string, string>) => void;
  errors: Errors;
}) {
  return (
    <>
      {onFree && (
        <fieldset class="field">
          <legend>How buyers pay</legend>
          <label class="check">
            <input type="radio" name="mkt-pricing" checked={free} onChange={() => onFree(true)} /> Free
          </label>
          <label class="check">
            <input type="radio" name="mkt-pricing" checked={!free} onChange={() => onFree(false)} /> An hourly price per instance type
          </label>
        </fieldset>
      )}
      {!free && (
        <div class="table-scroll">
          <table class="list pricing">
            <thead>
              <tr>
                <th scope="col">Dimension</th>
                <th scope="col">Instance type</th>
                <th scope="col">Used for</th>
                <th scope="col">USD per hour</th>
              </tr>
            </thead>
            <tbody>
              {dims.map((d) => (
                <tr key={d.key} data-dimension={d.key}>
                  <td>
                    <code>{d.key}</code>
                  </td>
                  <td>{d.type}</td>
                  <td>{d.use}</td>
                  <td>
                    <input
                      class={errors[`price-${d.key}`] ? "invalid" : undefined}
                      aria-label={`Price of ${d.key}`}
                      aria-invalid={!!errors[`price-${d.key}`]}
                      inputMode="decimal"
                      placeholder="0.00"
                      value={prices[d.key] ?? ""}
                      onInput={(e) => onPrices({ ...prices, [d.key]: text(e) })}
                    />
                    {errors[`price-${d.key}`] && (
                      <div class="field-error" role="alert">
                        {errors[`price-${d.key}`]}
                      </div>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}

function noun(r: Publishable) {
  return r.kind === "model-package" ? "model package" : "algorithm";
}

function supportedHint(r: Publishable, options: string[]) {
  if (options.length === 0) return `The ${noun(r)} supports none.`;
  if (options.length === 1) return `The only type the ${noun(r)} supports.`;
  return `One of the ${options.length} types the ${noun(r)} supports.`;
}
