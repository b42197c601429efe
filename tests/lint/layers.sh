#!/bin/bash
# The layers of src/ point one way (docs/architecture.md#layers): a folder includes only
# the folders listed for it. Prints every include that breaks the rule; exit 1 if any.
set -euo pipefail
SRC=${1:?usage: layers.sh SRC_DIR}
declare -A allowed=(
  [util]=""
  [init]=""
  [docker]="util"
  [profile]="util"
  [health]="profile util"
  [seed]="docker profile util"
  [store]="docker profile seed util"
  [plan]="docker health profile util"
  [images]="docker plan profile util"
  [serve]="docker health plan profile seed store util"
  [dashboard]="docker plan profile seed serve util"
  [snapshot]="docker health plan profile seed serve store util"
  [ui]="util"
  [stack]="docker health images plan profile seed serve util"
  [cli]="dashboard docker health images plan profile seed serve snapshot stack store ui util"
)
bad=0
for dir in "$SRC"/src/*/; do
  layer=$(basename "$dir")
  if [[ -z ${allowed[$layer]+set} ]]; then
    echo "src/$layer/: a folder with no place in the layers (add it to tests/lint/layers.sh and docs/architecture.md)"
    bad=1
    continue
  fi
  while IFS=: read -r file line inc; do
    target=${inc#*\"}
    target=${target%%/*}
    [[ $target == "$layer" ]] && continue
    [[ " ${allowed[$layer]} " == *" $target "* ]] && continue
    echo "${file#"$SRC"/}:$line: $layer/ may not include $target/ (${inc#*#include })"
    bad=1
  done < <(grep -rnE '^#include "[a-z_]+/' "$dir" || true)
done
exit $bad
