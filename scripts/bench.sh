#!/usr/bin/env bash
# Runs every benchmark (the bench_* executables of tests/bench, optimised build) and rewrites
# their results in docs/benchmarks.md, each with the machine, the date and the command.
#
#   scripts/bench.sh                 all benchmarks
#   scripts/bench.sh ingest          only bench_ingest (any bench_<name> suffixes)
#
# A benchmark's results go between the markers
#   <!-- bench:<name> begin --> … <!-- bench:<name> end -->
# in docs/benchmarks.md (the section's own prose stays as written); a benchmark without markers
# gets a new section at the end. Arguments per benchmark are in BENCH_ARGS below. Benchmarks are
# not tests: they are not run by CI (each is bounded to about two minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
doc=$root/docs/benchmarks.md
jobs=${VIGIL_JOBS:-2}

declare -A BENCH_ARGS=(
  [store_write]="200000"
  [ingest]="20000 1000"
  [decode]="200000"
)

./scripts/install-deps.sh >/dev/null
# 1,000 device connections: the broker, vigild and the simulator each need a descriptor apiece.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 2>/dev/null || true

mapfile -t all < <(sed -n 's/.*add_executable(\(bench_[A-Za-z0-9_]*\).*/\1/p' tests/bench/*.cmake | sort)
targets=()
if (($#)); then
  for n in "$@"; do targets+=("bench_${n#bench_}"); done
else
  targets=("${all[@]}")
fi

cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" --target "${targets[@]}"

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
ram=$(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo)
machine="$(nproc) vCPU ($cpu), $ram RAM, $(uname -sr)"
date=$(date -u +%Y-%m-%d)

for t in "${targets[@]}"; do
  name=${t#bench_}
  exe=$(find build/release/tests/bench -maxdepth 1 -name "$t" -type f | head -1)
  [[ -x "$exe" ]] || { echo "bench.sh: $t was not built" >&2; exit 1; }
  args=${BENCH_ARGS[$name]:-}
  echo "== $t $args" >&2
  # shellcheck disable=SC2086
  out=$("$exe" $args)
  printf '%s\n' "$out"
  block=$(printf 'Machine: %s. Date: %s. Command: `scripts/bench.sh %s` (runs `%s %s`).\n\n%s\n' \
    "$machine" "$date" "$name" "$exe" "$args" "$out")
  BLOCK="$block" NAME="$name" DOC="$doc" python3 - <<'PY'
import os, re
doc, name, block = os.environ["DOC"], os.environ["NAME"], os.environ["BLOCK"]
text = open(doc).read()
begin, end = f"<!-- bench:{name} begin -->", f"<!-- bench:{name} end -->"
if begin in text and end in text:
    head, rest = text.split(begin, 1)
    _, tail = rest.split(end, 1)
    text = f"{head}{begin}\n{block}\n{end}{tail}"
else:
    text = text.rstrip("\n") + f"\n\n## bench_{name}\n\n{begin}\n{block}\n{end}\n"
open(doc, "w").write(text)
PY
done
echo "bench.sh: results written to docs/benchmarks.md" >&2
