#!/usr/bin/env bash
# Checks the built sample seller image with podman, end to end: training
# learns y = 3·x1 − 2·x2 + 1, serving answers the inference contract, and
# every misbehaviour mode fails the way the docs promise. Exits non-zero on
# any mismatch (meant for CI after samples/build-sample-image.sh).
#
#   samples/smoke-test-image.sh [image]     # default localhost/slipway-sample:latest
#
# Needs podman, curl and python3. Runs rootful or rootless; uses no fixed
# host port (-p 127.0.0.1::8080) and removes every container it starts.
set -uo pipefail

image="${1:-${SLIPWAY_SAMPLE_IMAGE:-localhost/slipway-sample:latest}}"
work="$(mktemp -d)"
prefix="slipway-smoke-$$"
containers=()
failures=0

cleanup() {
    for c in "${containers[@]}"; do podman rm -f -t 0 "$c" >/dev/null 2>&1; done
    rm -rf "$work"
}
trap cleanup EXIT
# podman 4.3 (conmon) leaves an empty file named `oom` in the current
# directory when a container is OOM-killed: keep it in the scratch dir.
cd "$work" || exit 1

pass() { echo "ok   - $1"; }
fail() { echo "FAIL - $1" >&2; failures=$((failures + 1)); }
check() { # check NAME COMMAND...
    local name="$1"; shift
    if "$@"; then pass "$name"; else fail "$name"; fi
}

# ---------------------------------------------------------------- training

# new_root NAME HYPERPARAMETERS_JSON -> prints a fresh /opt/ml tree with data
new_root() {
    local d="$work/$1"
    mkdir -p "$d/input/config" "$d/input/data/train/part" "$d/input/data/validation"
    printf '%s' "$2" > "$d/input/config/hyperparameters.json"
    echo '{"train": {"ContentType": "text/csv", "TrainingInputMode": "File", "S3DistributionType": "FullyReplicated", "RecordWrapperType": "None"}, "validation": {"TrainingInputMode": "File"}}' \
        > "$d/input/config/inputdataconfig.json"
    echo '{"current_host": "algo-1", "hosts": ["algo-1"], "network_interface_name": "eth0"}' \
        > "$d/input/config/resourceconfig.json"
    python3 - "$d" <<'PY'
import random, sys
random.seed(7)
def rows(n):
    out = ["label,x1,x2"]
    for _ in range(n):
        a, b = random.uniform(0, 10), random.uniform(-3, 3)
        out.append(f"{3*a - 2*b + 1 + random.gauss(0, 0.05)},{a},{b}")
    return "\n".join(out) + "\n"
root = sys.argv[1]
open(f"{root}/input/data/train/a.csv", "w").write(rows(400))
open(f"{root}/input/data/train/part/b.csv", "w").write(rows(200))
open(f"{root}/input/data/validation/v.csv", "w").write(rows(100))
PY
    echo "$d"
}

# train NAME HYPERPARAMETERS_JSON [podman args...] -> sets $root and $code
train() {
    local name="$1" hp="$2"; shift 2
    root="$(new_root "$name" "$hp")"
    podman run --rm --name "$prefix-$name" "$@" -v "$root:/opt/ml" "$image" train > "$root/log" 2>&1
    code=$?
}

train learn '{"epochs": "300"}'
check "train exits 0" test "$code" = 0
check "train learns weights within 0.1" python3 - "$root/model/model.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
w, b = m["weights"], m["bias"]
ok = abs(w[0] - 3) < 0.1 and abs(w[1] + 2) < 0.1 and abs(b - 1) < 0.1
print(f"     weights={w} bias={b}")
sys.exit(0 if ok else 1)
PY
check "train prints epoch and final metrics" grep -q '^epoch=300 train:mse=' "$root/log"
check "train prints validation:mse" grep -q '^validation:mse=' "$root/log"
check "train writes output/data/report.json" test -s "$root/output/data/report.json"
check "train writes no failure file" test ! -e "$root/output/failure"
trained_model="$root/model"

train fail '{"mode": "fail"}'
check "mode=fail exits 1" test "$code" = 1
check "mode=fail writes the failure file" grep -q 'mode=fail' "$root/output/failure"

train badhp '{"epochs": "ten"}'
check "bad hyperparameter exits 1" test "$code" = 1
check "bad hyperparameter: the failure file names it" grep -q '"epochs"' "$root/output/failure"

train crash '{"mode": "crash"}'
check "mode=crash exits 3" test "$code" = 3
check "mode=crash leaves no failure file" test ! -e "$root/output/failure"

train oom '{"mode": "oom"}' --memory 64m
check "mode=oom under --memory 64m exits 137 (got $code)" test "$code" = 137

train many '{"mode": "many-files", "epochs": "5"}'
check "mode=many-files writes model + 5000 files" \
    test "$(find "$root/model" -type f | wc -l)" = 5001

train metrics '{"mode": "metrics", "metric_lines": "200", "epochs": "5"}'
check "mode=metrics prints the burst" test "$(grep -c '^step=' "$root/log")" = 200

train slow '{"mode": "slow", "seconds": "1", "epochs": "5"}'
check "mode=slow then trains" test "$code" = 0 -a -s "$root/model/model.json"

# detached NAME HP [stop timeout] -> stops after 1 s; sets $code and $elapsed
stop_detached() {
    local name="$1" hp="$2" timeout="$3"
    root="$(new_root "$name" "$hp")"
    podman run -d --name "$prefix-$name" -v "$root:/opt/ml" "$image" train >/dev/null
    containers+=("$prefix-$name")
    sleep 1
    local t0=$SECONDS
    podman stop -t "$timeout" "$prefix-$name" >/dev/null
    elapsed=$((SECONDS - t0))
    code="$(podman inspect --format '{{.State.ExitCode}}' "$prefix-$name")"
}
stop_detached hang '{"mode": "hang"}' 30
check "mode=hang stops on SIGTERM with 143 (got $code in ${elapsed}s)" \
    test "$code" = 143 -a "$elapsed" -lt 10
stop_detached ignore '{"mode": "ignore-sigterm"}' 2
check "mode=ignore-sigterm needs SIGKILL: 137 after the timeout (got $code in ${elapsed}s)" \
    test "$code" = 137 -a "$elapsed" -ge 2

# ----------------------------------------------------------------- serving

# serve NAME [podman args...] -> sets $url
serve() {
    local name="$1"; shift
    podman run -d --name "$prefix-srv-$name" -p 127.0.0.1::8080 "$@" "$image" serve >/dev/null
    containers+=("$prefix-srv-$name")
    url="http://$(podman port "$prefix-srv-$name" 8080 | head -n1)"
}
# status METHOD PATH [curl args...] -> prints the HTTP status, body in $work/body
status() {
    local method="$1" path="$2"; shift 2
    curl -s -o "$work/body" -w '%{http_code}' --max-time 5 -X "$method" "$@" "$url$path"
}
wait_ready() { # wait_ready SECONDS
    local i
    for ((i = 0; i < $1 * 10; i++)); do
        [ "$(status GET /ping)" = 200 ] && return 0
        sleep 0.1
    done
    return 1
}
csv() { status POST /invocations -H 'Content-Type: text/csv' --data-binary "$1"; }
# no_answer SECONDS -> true when an invocation gets no HTTP answer in time
no_answer() { ! curl -s -o /dev/null --max-time "$1" --data-binary '1,1' "$url/invocations"; }

serve trained -v "$trained_model:/opt/ml/model:ro"
check "serve: /ping 200 with the trained model" wait_ready 10
check "serve: /ping body is empty" test ! -s "$work/body"
# predict CONTENT_TYPE BODY -> prints the response body
predict() { curl -s --max-time 5 -H "Content-Type: $1" --data-binary "$2" "$url/invocations"; }
# near ACTUAL_NUMBERS EXPECTED_NUMBERS -> true when equal length and each within 0.1
near() {
    python3 -c 'import sys; a, e = (list(map(float, s.split())) for s in sys.argv[1:3]); sys.exit(0 if len(a) == len(e) and all(abs(x - y) < 0.1 for x, y in zip(a, e)) else 1)' "$1" "$2"
}
check "serve: CSV predictions of the trained model, in order" \
    near "$(predict text/csv $'1,1\n0,0\n2,-1\n')" "2 1 9"
check "serve: JSON in, JSON out" \
    near "$(predict application/json '{"instances": [[1, 1], [2, -1]]}' | python3 -c 'import json, sys; print(*json.load(sys.stdin)["predictions"])')" "2 9"
check "serve: unsupported Content-Type -> 415" \
    test "$(status POST /invocations -H 'Content-Type: image/png' --data-binary x)" = 415
check "serve: malformed row -> 400" test "$(csv $'1,1\n1,x\n')" = 400
check "serve: the 400 names the line" grep -q '^line 2' "$work/body"
head -c 7340032 /dev/zero | tr '\0' '1' > "$work/big"
check "serve: 7 MiB payload -> 413" \
    test "$(status POST /invocations -H 'Content-Type: text/csv' --data-binary "@$work/big")" = 413
check "serve: /execution-parameters" python3 -c '
import json, sys, urllib.request
got = json.load(urllib.request.urlopen(sys.argv[1] + "/execution-parameters"))
sys.exit(0 if got == {"MaxConcurrentTransforms": 4, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6} else 1)' "$url"
t0=$SECONDS
podman stop -t 30 "$prefix-srv-trained" >/dev/null
code="$(podman inspect --format '{{.State.ExitCode}}' "$prefix-srv-trained")"
check "serve: SIGTERM -> exit 0 promptly (got $code in $((SECONDS - t0))s)" \
    test "$code" = 0 -a $((SECONDS - t0)) -lt 5

serve baked
wait_ready 10
check "serve: baked-in model when nothing is mounted (0.5·1 + 0.25·2 + 10 = 11)" \
    test "$(predict text/csv '1,2')" = 11

mkdir -p "$work/emptymodel"
serve empty -v "$work/emptymodel:/opt/ml/model"
wait_ready 10
check "serve: empty /opt/ml/model -> built-in sum model" test "$(predict text/csv '1,2,3')" = 6

serve neverready -e SAMPLE_MODE=never-ready
sleep 1
check "SAMPLE_MODE=never-ready: /ping 503" test "$(status GET /ping)" = 503

serve slowstart -e SAMPLE_MODE=slow-start -e SAMPLE_START_DELAY=3
sleep 1
check "SAMPLE_MODE=slow-start: 503 first" test "$(status GET /ping)" = 503
check "SAMPLE_MODE=slow-start: 200 later" wait_ready 10

serve error500 -e SAMPLE_MODE=error500
wait_ready 10
check "SAMPLE_MODE=error500: 500" test "$(csv '1,1')" = 500

serve huge -e SAMPLE_MODE=huge
wait_ready 10
check "SAMPLE_MODE=huge: 50 MiB body" test "$(predict text/csv '1,1' | wc -c)" = 52428800

serve hang -e SAMPLE_MODE=hang
wait_ready 10
check "SAMPLE_MODE=hang: invocation times out" \
    no_answer 2
t0=$SECONDS
podman stop -t 30 "$prefix-srv-hang" >/dev/null
check "SAMPLE_MODE=hang: SIGTERM still exits 0 promptly" \
    test "$(podman inspect --format '{{.State.ExitCode}}' "$prefix-srv-hang")" = 0 -a $((SECONDS - t0)) -lt 5

serve crash -e SAMPLE_MODE=crash-after-ready
wait_ready 10
check "SAMPLE_MODE=crash-after-ready: first invocation gets no answer" \
    no_answer 5
podman wait "$prefix-srv-crash" >/dev/null 2>&1
check "SAMPLE_MODE=crash-after-ready: container exits 2" \
    test "$(podman inspect --format '{{.State.ExitCode}}' "$prefix-srv-crash")" = 2

serve localhost -e SAMPLE_MODE=listen-localhost
sleep 2
check "SAMPLE_MODE=listen-localhost: unreachable from outside the container" \
    test "$(status GET /ping)" != 200
podman logs "$prefix-srv-localhost" > "$work/localhost.log" 2>&1
check "SAMPLE_MODE=listen-localhost: logs say 127.0.0.1" grep -q 'listening on 127.0.0.1:8080' "$work/localhost.log"

echo
if [ "$failures" -gt 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "all checks passed ($image, $(podman image inspect --format '{{.Size}}' "$image") bytes)"
