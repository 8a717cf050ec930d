#!/usr/bin/env bash
# Fails if a generated wire layer (crates/slipway-wire/src/generated/,
# crates/slipway-wire-registry/src/generated/) differs from what
# tools/codegen/generate_wire.py makes from the checked-in service models:
# someone edited a generated file by hand, or changed a model or the
# generator without regenerating. Needs only python3 and rustfmt.
set -euo pipefail
cd "$(dirname "$0")/.."
fresh=$(mktemp -d)
trap 'rm -rf "$fresh"' EXIT
python3 tools/codegen/generate_wire.py --out "$fresh"
status=0
for dir in "$fresh"/*/; do
  crate=$(basename "$dir")
  checked_in=crates/$crate/src/generated
  if ! diff -ru "$checked_in" "$fresh/$crate"; then
    echo >&2
    echo "check-generated.sh: $checked_in is not what tools/codegen/generate_wire.py generates (diff above)." >&2
    status=1
  else
    echo "check-generated.sh: $checked_in is up to date"
  fi
done
if [ "$status" -ne 0 ]; then
  echo "Do not edit generated files by hand; change the generator or the model, then run:" >&2
  echo "    python3 tools/codegen/generate_wire.py" >&2
fi
exit "$status"
