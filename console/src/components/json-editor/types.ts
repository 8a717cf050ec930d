/** One shape of the SageMaker service model, as console/scripts/shapes.mjs extracts it. */
export interface Shape {
  type: "structure" | "list" | "map" | "string" | "integer" | "long" | "float" | "double" | "boolean" | "timestamp" | "blob";
  members?: Record<string, { shape: string; doc?: string }>;
  required?: string[];
  /** Lists: the items' shape; maps: keys' and values' shapes. */
  member?: string;
  key?: string;
  value?: string;
  enum?: string[];
  min?: number;
  max?: number;
  pattern?: string;
  doc?: string;
}

export type Shapes = Record<string, Shape>;
