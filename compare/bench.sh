#!/usr/bin/env bash
# Runs the side-by-side benchmarks (bench_test.go, tls_bench_test.go) in
# several rounds and prints markdown tables of medians, official SDK against
# pam, plus the machine it ran on.
#
#   ./bench.sh [rounds] [benchtime] [bench regexp] [TLS rounds] [TLS ops per slot]
#
# Defaults: 10 rounds of 200ms per in-memory or loopback benchmark, all of
# them; then 3 rounds of BenchmarkTLS with 60 operations per slot in flight
# (60 at 1 in flight, 7,680 at 128), 0 TLS rounds to skip it. Each round is
# one process running every benchmark once, the official SDK and pam back to
# back for each operation, so that noise on a shared machine hits both sides
# alike; the tables show medians over the rounds.
#
# BenchmarkTLS's own settings come from the environment:
#   COMPARE_LATENCY   one-way latency of every packet (default 5ms)
#   COMPARE_INFLIGHT  operations in flight (default 1,8,32,128)
#   COMPARE_HTTP      what the server offers: h1, h2 or both (default h1,h2)
#   COMPARE_OPS       operations (default grant,revoke,publish)
# and BENCH_RAW, if set, is a file to keep the raw `go test` output in.
set -euo pipefail
cd "$(dirname "$0")"

rounds=${1:-10}
benchtime=${2:-200ms}
filter=${3:-.}
tls_rounds=${4:-3}
per_slot=${5:-60}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/compare.test" .
go build -o "$tmp/benchtable" ./cmd/benchtable
touch "$tmp/out.txt"

for i in $(seq "$rounds"); do
  echo "round $i/$rounds" >&2
  "$tmp/compare.test" -test.run '^$' -test.bench "$filter" -test.skip '^BenchmarkTLS$' \
    -test.benchmem -test.benchtime "$benchtime" >>"$tmp/out.txt"
done

tls_flags=(-compare.latency "${COMPARE_LATENCY:-5ms}" -compare.inflight "${COMPARE_INFLIGHT:-1,8,32,128}"
  -compare.http "${COMPARE_HTTP:-h1,h2}" -compare.ops "${COMPARE_OPS:-grant,revoke,publish}")
for i in $(seq "$tls_rounds"); do
  echo "TLS round $i/$tls_rounds" >&2
  "$tmp/compare.test" -test.run '^$' -test.bench '^BenchmarkTLS$' \
    -test.benchtime "${per_slot}x" "${tls_flags[@]}" >>"$tmp/out.txt"
done

if [ -n "${BENCH_RAW:-}" ]; then cp "$tmp/out.txt" "$BENCH_RAW"; fi

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' || true)
echo "Command: \`compare/bench.sh $rounds $benchtime $filter $tls_rounds $per_slot\`$([ "$tls_rounds" -gt 0 ] && echo ", BenchmarkTLS with ${tls_flags[*]}")"
echo
echo "Machine: ${cpu:-unknown CPU}, $(nproc) cores, $(go version | cut -d' ' -f3-), $(date -u +%Y-%m-%d)"
echo
"$tmp/benchtable" <"$tmp/out.txt"
