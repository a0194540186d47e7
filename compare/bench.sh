#!/usr/bin/env bash
# Runs the side-by-side benchmarks (bench_test.go) in several rounds and
# prints one markdown table of medians, official SDK against pam, plus the
# machine it ran on.
#
#   ./bench.sh [rounds] [benchtime] [bench regexp]
#
# Defaults: 10 rounds of 200ms per benchmark, all benchmarks. Each round is
# one process running every benchmark once, the official SDK and pam back
# to back for each operation, so that noise on a shared machine hits both
# sides alike; the table shows medians over the rounds.
set -euo pipefail
cd "$(dirname "$0")"

rounds=${1:-10}
benchtime=${2:-200ms}
filter=${3:-.}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/compare.test" .
go build -o "$tmp/benchtable" ./cmd/benchtable

for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  "$tmp/compare.test" -test.run '^$' -test.bench "$filter" -test.benchmem \
    -test.benchtime "$benchtime" >>"$tmp/out.txt"
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo "Command: \`compare/bench.sh $rounds $benchtime $filter\`"
echo
echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(go version | cut -d' ' -f3-), $(date -u +%Y-%m-%d)"
echo
"$tmp/benchtable" <"$tmp/out.txt"
