#!/usr/bin/env bash
# pnpm bench:e2e-ab <baseline git revision> [<label>=<env assignments> ...]
#
# The same `pnpm bench e2e` steps (quick profile unless BENCH_E2E_* say otherwise) run on a baseline revision and on
# this working tree, one after the other on the same machine, then compared per step as ratios (this / baseline).
# Each extra argument is one more variant of this tree with environment settings, e.g.
#   pnpm bench:e2e-ab 485263c 'semi64=NODE_OPTIONS=--max-semi-space-size=64'
# The baseline is checked out into .local/e2e-ab/baseline (a git worktree, dependencies installed offline from the
# pnpm store this tree filled) and the Kafka jars are shared. Results: bench/results/e2e-ab.{json,md}.
set -euo pipefail
cd "$(dirname "$0")/../../.."
repo=$PWD
rev=${1:?usage: pnpm bench:e2e-ab <baseline revision> [label=ENV=value ...]}
shift
out=$repo/.local/e2e-ab
base=$out/baseline
mkdir -p "$out"

export BENCH_E2E_PROFILE=${BENCH_E2E_PROFILE:-quick}
export BENCH_E2E_RATES=${BENCH_E2E_RATES:-2500,5000,10000}
export BENCH_E2E_STEP_S=${BENCH_E2E_STEP_S:-30}
export BENCH_E2E_SOAK_S=${BENCH_E2E_SOAK_S:-0}
export BENCH_E2E_HISTORY=${BENCH_E2E_HISTORY:-0}
export BENCH_E2E_CEILINGS=${BENCH_E2E_CEILINGS:-0}

echo "e2e-ab: baseline $(git rev-parse --short "$rev") in $base"
if [ -d "$base" ]; then git worktree remove --force "$base"; fi
git worktree add --force --detach "$base" "$rev" >/dev/null
(cd "$base" && pnpm install --frozen-lockfile --offline >/dev/null)
mkdir -p "$base/infra/kafka/.cache" && cp -r "$repo/infra/kafka/.cache/." "$base/infra/kafka/.cache/"

run() { # <label> <dir> [env assignments...]
  local label=$1 dir=$2; shift 2
  echo "e2e-ab: $label ($(date +%T))"
  (cd "$dir" && env "$@" pnpm bench e2e >"$out/$label.log" 2>&1) || { echo "e2e-ab: $label failed, see $out/$label.log" >&2; exit 1; }
  cp "$dir/bench/results/e2e-$BENCH_E2E_PROFILE.json" "$out/$label.json"
}
run baseline "$base"
run this "$repo"
labels=(baseline this)
for variant in "$@"; do
  label=${variant%%=*}
  # shellcheck disable=SC2086
  run "$label" "$repo" ${variant#*=}
  labels+=("$label")
done
git worktree remove --force "$base"
pnpm exec tsx infra/bench/src/e2e/e2e-ab.main.ts "$(git rev-parse --short "$rev")" "$out" "${labels[@]}"
