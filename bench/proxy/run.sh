#!/usr/bin/env bash
# kinko proxy overhead: the same local upstream called directly and through
# `kinko proxy`, side by side in one run with oha. See bench/proxy/README.md.
#
# The upstream is a `kinko server --dev` (its /health endpoint: a small, fast
# axum handler); the proxy reads its one rule from that same server and
# forwards as plain HTTP (--allow-plain-upstream), so TLS cost is left out on
# both sides and only the proxy's own work is measured.
#
# Usage: bench/proxy/run.sh
# Environment (all optional):
#   KINKO_BIN     kinko binary (default target/release/kinko; build it first
#                 with `cargo build --release`)
#   DURATION      oha duration per run (default 10s)
#   CONCURRENCY   oha connections for the throughput runs (default 32)
#   OHA           oha binary (default: oha on PATH, else ~/.cargo/bin/oha)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$BENCH_DIR")")
KINKO_BIN=${KINKO_BIN:-$ROOT/target/release/kinko}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
WORK=$(mktemp -d -t kinko-proxy-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
die() { echo "bench/proxy: $*" >&2; exit 1; }

[[ -x "$KINKO_BIN" ]] || die "no kinko binary at $KINKO_BIN (cargo build --release)"
[[ -x "$OHA" ]] || die "oha not found (cargo install oha --locked --version 1.16.0)"

# Waits for "listening on HOST:PORT" in a log file and prints HOST:PORT.
listening() {
    local log=$1 address=""
    for _ in $(seq 1 200); do
        address=$(grep -o 'listening on [^ ]*' "$log" | head -n1 | sed -e 's/listening on //' -e 's#http://##' || true)
        [[ -n "$address" ]] && { echo "$address"; return 0; }
        sleep 0.05
    done
    die "no 'listening on' line in $log: $(cat "$log")"
}

"$KINKO_BIN" server --dev --listen 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
PIDS+=($!)
UPSTREAM=$(listening "$WORK/server.log")

export AWS_ENDPOINT_URL="http://$UPSTREAM" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
aws ssm put-parameter --name /proxy/127.0.0.1/headers/X-Api-Key --value bench-token \
    --type SecureString --overwrite >/dev/null

"$KINKO_BIN" proxy --listen 127.0.0.1:0 --allow-plain-upstream ${PROXY_ARGS:-} >"$WORK/proxy.log" 2>&1 &
PIDS+=($!)
PROXY=$(listening "$WORK/proxy.log")
URL="http://$UPSTREAM/health"
curl -sf --noproxy '' -x "http://$PROXY" "$URL" >/dev/null || die "the proxy does not answer: $(cat "$WORK/proxy.log")"

run() { # NAME CONNECTIONS [oha options...]
    local name=$1 connections=$2
    shift 2
    "$OHA" --no-tui --output-format json -z "$DURATION" -c "$connections" "$@" "$URL" >"$WORK/$name.json"
}
# Warm up both paths (connection pools, rule cache), then measure in turn.
"$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" "$URL"
"$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" -x "http://$PROXY" "$URL"
run direct-c1 1
run proxy-c1 1 -x "http://$PROXY"
run direct-cN "$CONCURRENCY"
run proxy-cN "$CONCURRENCY" -x "http://$PROXY"

python3 - "$WORK" "$CONCURRENCY" "$DURATION" <<'PY'
import json, sys
work, conc, duration = sys.argv[1], sys.argv[2], sys.argv[3]
def load(name):
    with open(f"{work}/{name}.json") as f:
        return json.load(f)
def p(d, q):
    return d["latencyPercentiles"][q] * 1000.0
def ok(d):
    codes = d.get("statusCodeDistribution", {})
    return sum(v for k, v in codes.items() if k.startswith("2")), sum(codes.values())
rows = []
for label, direct, proxy in [("1 connection", "direct-c1", "proxy-c1"), (f"{conc} connections", "direct-cN", "proxy-cN")]:
    d, x = load(direct), load(proxy)
    rows.append((label, d, x))
print(f"duration {duration} per run; upstream: kinko server --dev /health; proxy: --allow-plain-upstream, one header rule\n")
print("| load | path | req/s | p50 ms | p99 ms | 2xx / all |")
print("|---|---|---:|---:|---:|---|")
for label, d, x in rows:
    for path, r in (("direct", d), ("through kinko proxy", x)):
        good, total = ok(r)
        print(f"| {label} | {path} | {r['summary']['requestsPerSec']:.0f} | {p(r,'p50'):.3f} | {p(r,'p99'):.3f} | {good} / {total} |")
print()
for label, d, x in rows:
    added = p(x, "p50") - p(d, "p50")
    share = x["summary"]["requestsPerSec"] / d["summary"]["requestsPerSec"] * 100
    print(f"- {label}: added p50 {added:.3f} ms (target <= 0.3), throughput {share:.0f}% of direct (target >= 70%)")
PY
