#!/usr/bin/env bash
# The main job on embedded defaults: the sample seller through both flows
# of a Marketplace listing, against a real `slipway serve`, with the AWS CLI
# and podman only:
#   1. push the seller's image to Slipway's registry (ECR-style login);
#   2. upload test data to Slipway's S3;
#   3. create an algorithm with a validation profile (training + batch
#      transform) and watch it reach Completed;
#   4. package the model its validation trained as a model package with a
#      validation profile, and watch that reach Completed;
#   5. a model package broken on purpose: watch it fail, and read why.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
VENV=${SLIPWAY_VENV:-$PWD/.venv}
export PATH="$VENV/bin:$PATH"
eval "$(scripts/podman-service.sh)"
samples/build-sample-image.sh

DATA=${SLIPWAY_DATA_DIR:-$(mktemp -d /tmp/slipway-quickstart.XXXXXX)}
OUT=$(mktemp)
target/release/slipway serve --listen 127.0.0.1:0 --data-dir "$DATA" >"$OUT" 2>"$DATA/server.log" &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; wait $SERVER 2>/dev/null; rm -f "$OUT"' EXIT
for _ in $(seq 100); do grep -q AWS_ENDPOINT_URL "$OUT" && break; sleep 0.1; done
eval "$(grep AWS_ENDPOINT_URL "$OUT")"
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_PAGER=""
HOSTPORT=${AWS_ENDPOINT_URL#http://}
echo "Server ready: $AWS_ENDPOINT_URL (data in $DATA)"
ACCOUNT=$(aws sagemaker create-model-package-group --model-package-group-name quickstart-probe \
  --query ModelPackageGroupArn --output text | cut -d: -f5)
aws sagemaker delete-model-package-group --model-package-group-name quickstart-probe
IMAGE="$ACCOUNT.dkr.ecr.us-east-1.amazonaws.com/slipway-sample:latest"

echo "== 1. Push the seller's image to Slipway's registry as $IMAGE"
aws ecr create-repository --repository-name slipway-sample --query repository.repositoryUri --output text
aws ecr get-login-password | podman login --username AWS --password-stdin --tls-verify=false "$HOSTPORT"
podman tag localhost/slipway-sample:latest "$HOSTPORT/slipway-sample:latest"
podman push --quiet --tls-verify=false "$HOSTPORT/slipway-sample:latest"
aws ecr describe-images --repository-name slipway-sample --query 'imageDetails[0].imageDigest' --output text

echo "== 2. Upload test data"
aws s3 mb s3://quickstart
aws s3 cp --recursive --only-show-errors samples/validate/data/train/ s3://quickstart/train/
aws s3 cp --recursive --only-show-errors samples/validate/data/batch/ s3://quickstart/batch/
aws s3 ls --recursive s3://quickstart/

# Waits for a resource to leave Pending/InProgress, printing each change.
wait_for() { # kind name
  local last="" status
  for _ in $(seq 600); do
    if [ "$1" = algorithm ]; then
      status=$(aws sagemaker describe-algorithm --algorithm-name "$2" --query AlgorithmStatus --output text)
    else
      status=$(aws sagemaker describe-model-package --model-package-name "$2" --query ModelPackageStatus --output text)
    fi
    [ "$status" != "$last" ] && echo "   $1 $2: $status" && last=$status
    case $status in Completed|Failed) return 0 ;; esac
    sleep 0.5
  done
  echo "   $1 $2 did not finish in 5 minutes" >&2
  return 1
}

echo "== 3. Algorithm with a validation profile (training + batch transform)"
sed "s/ACCOUNT/$ACCOUNT/g" examples/create-algorithm.json > "$DATA/create-algorithm.json"
aws sagemaker create-algorithm --cli-input-json "file://$DATA/create-algorithm.json" --query AlgorithmArn --output text
wait_for algorithm linear-regression
aws sagemaker describe-algorithm --algorithm-name linear-regression \
  --query '{Status: AlgorithmStatus, Validation: AlgorithmStatusDetails.ValidationStatuses}'
TRAINED=$(aws sagemaker list-training-jobs --name-contains linear-regression --query 'TrainingJobSummaries[0].TrainingJobName' --output text)
aws sagemaker describe-training-job --training-job-name "$TRAINED" \
  --query '{Job: TrainingJobName, Status: TrainingJobStatus, Model: ModelArtifacts.S3ModelArtifacts, Metrics: FinalMetricDataList}'
echo "   predictions of the validation's batch transform:"
aws s3 cp s3://quickstart/batch-output/features.csv.out - | sed 's/^/     /'

echo "== 4. Model package of the trained model, with a validation profile"
aws s3 cp --only-show-errors "$(aws sagemaker describe-training-job --training-job-name "$TRAINED" \
  --query ModelArtifacts.S3ModelArtifacts --output text)" s3://quickstart/model/model.tar.gz
sed "s/ACCOUNT/$ACCOUNT/g" examples/create-model-package.json > "$DATA/create-model-package.json"
aws sagemaker create-model-package --cli-input-json "file://$DATA/create-model-package.json" --query ModelPackageArn --output text
wait_for model-package linear-regression-model
aws sagemaker describe-model-package --model-package-name linear-regression-model \
  --query '{Status: ModelPackageStatus, Validation: ModelPackageStatusDetails.ValidationStatuses}'

echo "== 5. A model package broken on purpose (its server answers HTTP 500)"
sed "s/ACCOUNT/$ACCOUNT/g; s#\"ModelPackageName\": \"linear-regression-model\"#\"ModelPackageName\": \"broken-model\"#; s#\"ModelDataUrl\": \"s3://quickstart/model/model.tar.gz\"#\"ModelDataUrl\": \"s3://quickstart/model/model.tar.gz\", \"Environment\": {\"SAMPLE_MODE\": \"error500\"}#; s#batch-output/#broken-output/#" \
  examples/create-model-package.json > "$DATA/create-broken.json"
aws sagemaker create-model-package --cli-input-json "file://$DATA/create-broken.json" --query ModelPackageArn --output text
wait_for model-package broken-model
aws sagemaker describe-model-package --model-package-name broken-model \
  --query 'ModelPackageStatusDetails.ValidationStatuses[0].FailureReason' --output text | fold -w 100 -s | sed 's/^/   /'

cat <<MSG

Both flows validated; the broken package failed with its reason.
Where to look next (the server is still running until this script exits;
start your own with 'target/release/slipway serve' and paste its export line):
  aws sagemaker list-training-jobs / list-transform-jobs   the validation jobs
  aws logs get-log-events --log-group-name /aws/sagemaker/TrainingJobs --log-stream-name <job>/algo-1-<epoch>
  target/release/slipway validate samples/validate/algorithm.json   the same validation, no server (for CI)
MSG
