/** Hosting instance types offered first (the server knows more; any may be typed). */
export const INSTANCE_TYPES = [
  "ml.t2.medium",
  "ml.t3.medium",
  "ml.m5.large",
  "ml.m5.xlarge",
  "ml.m5.2xlarge",
  "ml.m6i.large",
  "ml.c5.large",
  "ml.c5.xlarge",
  "ml.c5.2xlarge",
  "ml.g4dn.xlarge",
  "ml.g5.xlarge",
  "ml.p3.2xlarge",
];
