#!/usr/bin/env bash
# Web benchmark: requests per second and latency percentiles of the alert-queue endpoint
# (GET /api/v1/alerts, full gate: session, access check, audit entry) and of a static asset
# (GET /assets/js/main.js), 50 concurrent keep-alive clients over TLS, with wrk (Debian).
#   tests/bench/web_bench.sh [build-dir=build/ci] [seconds=15]
set -euo pipefail
cd "$(dirname "$0")/../.."
build=${1:-build/ci}
secs=${2:-15}
exe=$build/tests/bench/bench_web_api
[[ -x $exe ]] || { echo "build $exe first (cmake --build --preset ci --target bench_web_api vigil_portal)"; exit 1; }
command -v wrk >/dev/null || { echo "wrk missing: scripts/install-deps.sh"; exit 1; }
tmp=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2>/dev/null
"$exe" "$tmp" "$tmp/cert.pem" "$tmp/key.pem" "$tmp/port" 50 64 &
pid=$!
for _ in $(seq 1 200); do [[ -s $tmp/port ]] && break; sleep 0.1; done
read -r port cookie < "$tmp/port"
cat > "$tmp/cookie.lua" <<LUA
wrk.headers["Cookie"] = "$cookie"
LUA
echo >&2 "== queue: GET /api/v1/alerts (50 open alerts, page of 50), 50 connections, ${secs}s"
wrk -t2 -c50 -d"${secs}s" --latency -s "$tmp/cookie.lua" "https://127.0.0.1:$port/api/v1/alerts" | tee "$tmp/queue.txt" >&2
echo >&2 "== static: GET /assets/js/main.js, 50 connections, ${secs}s"
wrk -t2 -c50 -d"${secs}s" --latency "https://127.0.0.1:$port/assets/js/main.js" | tee "$tmp/static.txt" >&2

# The table (stdout; scripts/bench.sh puts it into docs/benchmarks.md): wrk's own figures.
row() {  # name file
  awk -v name="$1" '
    /Requests\/sec:/ { rps = $2 }
    /^ +50% / { p50 = $2 } /^ +90% / { p90 = $2 } /^ +99% / { p99 = $2 }
    /requests in/ { total = $1 }
    /Non-2xx or 3xx responses:/ { bad = $5 }
    END { printf "| %s | %s | %.0f | %s | %s | %s | %s |\n", name, total, rps, p50, p90, p99, (bad == "" ? 0 : bad) }
  ' "$2"
}
echo "| endpoint (50 connections, ${secs} s) | requests | requests/s | p50 | p90 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
row "queue: GET /api/v1/alerts (50 alerts)" "$tmp/queue.txt"
row "static: GET /assets/js/main.js" "$tmp/static.txt"
