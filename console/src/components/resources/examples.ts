// What the validation profile editors start with: the repository's example
// requests (examples/create-model-package.json, create-algorithm.json), so
// a seller edits a working profile rather than writing one from nothing.

export const EXAMPLE_TRANSFORM_JOB_DEFINITION = {
  TransformInput: {
    DataSource: { S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://quickstart/batch/" } },
    ContentType: "text/csv",
    SplitType: "Line",
  },
  TransformOutput: { S3OutputPath: "s3://quickstart/batch-output/", Accept: "text/csv", AssembleWith: "Line" },
  TransformResources: { InstanceType: "ml.m5.large", InstanceCount: 1 },
};

export const EXAMPLE_TRAINING_JOB_DEFINITION = {
  TrainingInputMode: "File",
  HyperParameters: {},
  InputDataConfig: [
    {
      ChannelName: "train",
      ContentType: "text/csv",
      DataSource: {
        S3DataSource: { S3DataType: "S3Prefix", S3Uri: "s3://quickstart/train/", S3DataDistributionType: "FullyReplicated" },
      },
    },
  ],
  OutputDataConfig: { S3OutputPath: "s3://quickstart/output/" },
  ResourceConfig: { InstanceType: "ml.m5.large", InstanceCount: 1, VolumeSizeInGB: 1 },
  StoppingCondition: { MaxRuntimeInSeconds: 600 },
};

export const pretty = (v: unknown) => JSON.stringify(v, null, 2);
