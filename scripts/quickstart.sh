#!/usr/bin/env bash
# The main job on embedded defaults: start `slipway serve`, then run the
# seed's two flows with the AWS CLI (an algorithm with training and
# transform validation profiles; a model package with a validation
# profile), and show what the server holds.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${SLIPWAY_VENV:-$PWD/.venv}
export PATH="$VENV/bin:$PATH"

DATA=${SLIPWAY_DATA_DIR:-$(mktemp -d /tmp/slipway-quickstart.XXXXXX)}
OUT=$(mktemp)
target/release/slipway serve --listen 127.0.0.1:0 --data-dir "$DATA" >"$OUT" 2>"$DATA/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do grep -q AWS_ENDPOINT_URL "$OUT" && break; sleep 0.1; done
eval "$(grep AWS_ENDPOINT_URL "$OUT")"
echo "Server ready: $AWS_ENDPOINT_URL (data in $DATA)"
ACCOUNT=$(aws sagemaker create-model-package-group --model-package-group-name quickstart-probe \
  --query ModelPackageGroupArn --output text | cut -d: -f5)
aws sagemaker delete-model-package-group --model-package-group-name quickstart-probe

echo "== Algorithm with a validation profile (training + transform)"
sed "s/ACCOUNT/$ACCOUNT/g" examples/create-algorithm.json > "$DATA/create-algorithm.json"
aws sagemaker create-algorithm --cli-input-json "file://$DATA/create-algorithm.json"
aws sagemaker describe-algorithm --algorithm-name linear-regression \
  --query '{Status: AlgorithmStatus, Validation: AlgorithmStatusDetails.ValidationStatuses}'

echo "== Model package with a validation profile (transform)"
sed "s/ACCOUNT/$ACCOUNT/g" examples/create-model-package.json > "$DATA/create-model-package.json"
aws sagemaker create-model-package --cli-input-json "file://$DATA/create-model-package.json"
aws sagemaker describe-model-package --model-package-name linear-regression-model \
  --query '{Status: ModelPackageStatus, Validation: ModelPackageStatusDetails.ValidationStatuses}'

echo "== What the server holds"
aws sagemaker list-algorithms --output table
aws sagemaker list-model-packages --output table
cat <<MSG

Both resources carry a validation specification, so they stay Pending
until validation jobs exist (they are not faked Completed).
Next: run 'target/release/slipway serve' yourself, paste the export line it
prints, and use the AWS CLI, boto3 or the SageMaker Python SDK against it.
MSG
