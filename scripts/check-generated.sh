#!/usr/bin/env bash
# Fails if the generated wire layer (crates/slipway-wire/src/generated/)
# differs from what tools/codegen/generate_wire.py makes from the checked-in
# service models: someone edited a generated file by hand, or changed a model
# or the generator without regenerating. Needs only python3 and rustfmt.
set -euo pipefail
cd "$(dirname "$0")/.."
checked_in=crates/slipway-wire/src/generated
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
python3 tools/codegen/generate_wire.py --out "$fresh"
if ! diff -ru "$checked_in" "$fresh"; then
  echo >&2
  echo "check-generated.sh: $checked_in is not what tools/codegen/generate_wire.py generates (diff above)." >&2
  echo "Do not edit generated files by hand; change the generator or the model, then run:" >&2
  echo "    python3 tools/codegen/generate_wire.py" >&2
  exit 1
fi
echo "check-generated.sh: $checked_in is up to date"
