// "Channel specification": the training channels an algorithm accepts (1–20).
import type { ChannelSpecification } from "@aws-sdk/client-sagemaker";
import { Field } from "../ui";
import { COMPRESSION_TYPES, INPUT_MODES } from "./enums.generated";
import { type FieldErrors, splitList } from "./errors";
import { Checks, Rows } from "./Rows";

export interface ChannelRow {
  name: string;
  description: string;
  required: boolean;
  contentTypes: string;
  inputModes: string[];
  compression: string[];
}

export const CHANNELS = "TrainingSpecification.TrainingChannels";
const MEMBERS = ["Name", "Description", "SupportedContentTypes", "SupportedInputModes", "SupportedCompressionTypes"];

export const newChannel = (name = ""): ChannelRow => ({
  name,
  description: "",
  required: true,
  contentTypes: "text/csv",
  inputModes: ["File"],
  compression: ["None"],
});

export function channelKeys(rows: ChannelRow[]): string[] {
  return rows.flatMap((_, i) => [`${CHANNELS}.${i + 1}`, ...MEMBERS.map((m) => `${CHANNELS}.${i + 1}.${m}`)]);
}

export function channelSpecs(rows: ChannelRow[]): ChannelSpecification[] {
  return rows.map((c) => ({
    Name: c.name.trim(),
    Description: c.description.trim() || undefined,
    IsRequired: c.required,
    SupportedContentTypes: splitList(c.contentTypes),
    SupportedInputModes: c.inputModes as ChannelSpecification["SupportedInputModes"],
    SupportedCompressionTypes: c.compression.length ? (c.compression as ChannelSpecification["SupportedCompressionTypes"]) : undefined,
  }));
}

export function channelProblems(rows: ChannelRow[]): FieldErrors {
  const e: FieldErrors = {};
  if (!rows.length) e[CHANNELS] = "Add at least one channel.";
  const seen = new Set<string>();
  rows.forEach((c, i) => {
    const k = `${CHANNELS}.${i + 1}`;
    if (!/^[A-Za-z0-9.\-_]{1,64}$/.test(c.name.trim())) e[`${k}.Name`] = "A channel name has 1–64 letters, digits, dots, hyphens and underscores.";
    else if (seen.has(c.name.trim())) e[`${k}.Name`] = `Channel ${c.name.trim()} is declared more than once.`;
    seen.add(c.name.trim());
    if (!splitList(c.contentTypes).length) e[`${k}.SupportedContentTypes`] = "Enter at least one content type.";
    if (!c.inputModes.length) e[`${k}.SupportedInputModes`] = "Choose at least one input mode.";
  });
  return e;
}

export function ChannelsEditor({ rows, onChange, errors }: { rows: ChannelRow[]; onChange: (r: ChannelRow[]) => void; errors: FieldErrors }) {
  return (
    <>
      {errors[CHANNELS] && (
        <div class="field-error" role="alert">
          {errors[CHANNELS]}
        </div>
      )}
      <Rows
        noun="Channel"
        rows={rows}
        onChange={onChange}
        make={() => newChannel()}
        max={20}
        min={1}
        render={(c, i, set) => {
          const k = `${CHANNELS}.${i + 1}`;
          const id = `channel-${i}`;
          return (
            <>
              {errors[k] && (
                <div class="field-error" role="alert">
                  {errors[k]}
                </div>
              )}
              <div class="row-grid">
                <Field id={`${id}-name`} label="Channel name" error={errors[`${k}.Name`]}>
                  <input id={`${id}-name`} value={c.name} onInput={(e) => set({ name: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field id={`${id}-description`} label="Description (optional)" error={errors[`${k}.Description`]}>
                  <input id={`${id}-description`} value={c.description} onInput={(e) => set({ description: (e.target as HTMLInputElement).value })} />
                </Field>
                <Field id={`${id}-content-types`} label="Supported content types" hint="Separated by commas." error={errors[`${k}.SupportedContentTypes`]}>
                  <input id={`${id}-content-types`} value={c.contentTypes} onInput={(e) => set({ contentTypes: (e.target as HTMLInputElement).value })} />
                </Field>
              </div>
              <label class="check">
                <input type="checkbox" checked={c.required} onChange={(e) => set({ required: (e.target as HTMLInputElement).checked })} /> Required channel
              </label>
              <Checks legend="Supported input modes" options={INPUT_MODES} value={c.inputModes} onChange={(inputModes) => set({ inputModes })} error={errors[`${k}.SupportedInputModes`]} />
              <Checks legend="Supported compression types" options={COMPRESSION_TYPES} value={c.compression} onChange={(compression) => set({ compression })} error={errors[`${k}.SupportedCompressionTypes`]} />
            </>
          );
        }}
      />
    </>
  );
}
