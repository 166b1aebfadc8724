#!/usr/bin/env bash
# kinko proxy overhead: the same upstream called directly and through
# `kinko proxy`, side by side in one run with oha. See bench/proxy/README.md.
#
# Two upstreams, both plain HTTP on 127.0.0.1 (the proxy runs with
# --allow-plain-upstream, so TLS is left out on both sides):
#   zero-cost  `kinko server --dev` answering GET /health (a tiny axum
#              handler); the worst case for the proxy's share of the work.
#              The same server holds the proxy's one rule.
#   5 ms       the bench_upstream example: answers after a fixed service
#              time, as a remote API would, without using CPU meanwhile.
# Each measurement is taken ROUNDS times, direct and through the proxy
# interleaved, so a busy machine skews both alike; the ratios are per round.
# The CPU time each process used in each run (from /proc and the shell's
# `time`) is reported per request.
#
# Usage: bench/proxy/run.sh
# Build first:
#   cargo build --release --bin kinko
#   cargo build --release -p kinko-proxy --example bench_upstream
# Environment (all optional):
#   KINKO_BIN     kinko binary (default target/release/kinko)
#   UPSTREAM_BIN  the slow upstream (default target/release/examples/bench_upstream)
#   SERVICE_MS    its service time in ms (default 5)
#   DURATION      oha duration per run (default 10s)
#   CONCURRENCY   oha connections for the throughput runs (default 32)
#   ROUNDS        interleaved rounds (default 3)
#   PROXY_ARGS    extra arguments for `kinko proxy` (e.g. --log-level warn)
#   OHA           oha binary (default: oha on PATH, else ~/.cargo/bin/oha)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$(dirname "$BENCH_DIR")")
KINKO_BIN=${KINKO_BIN:-$ROOT/target/release/kinko}
UPSTREAM_BIN=${UPSTREAM_BIN:-$ROOT/target/release/examples/bench_upstream}
SERVICE_MS=${SERVICE_MS:-5}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
ROUNDS=${ROUNDS:-3}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
WORK=$(mktemp -d -t kinko-proxy-bench.XXXXXX)
PIDS=()

cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT
die() { echo "bench/proxy: $*" >&2; exit 1; }

[[ -x "$KINKO_BIN" ]] || die "no kinko binary at $KINKO_BIN (cargo build --release --bin kinko)"
[[ -x "$UPSTREAM_BIN" ]] || die "no upstream at $UPSTREAM_BIN (cargo build --release -p kinko-proxy --example bench_upstream)"
[[ -x "$OHA" ]] || die "oha not found (cargo install oha --locked --version 1.16.0 --no-default-features)"

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

# CPU time (user + system) a process has used, in clock ticks.
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

"$KINKO_BIN" server --dev --listen 127.0.0.1:0 >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
SERVER=$(listening "$WORK/server.log")

"$UPSTREAM_BIN" "$SERVICE_MS" >"$WORK/slow.log" 2>&1 &
SLOW_PID=$!
PIDS+=("$SLOW_PID")
SLOW=$(listening "$WORK/slow.log")

export AWS_ENDPOINT_URL="http://$SERVER" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
aws ssm put-parameter --name /proxy/127.0.0.1/headers/X-Api-Key --value bench-token \
    --type SecureString --overwrite >/dev/null

# shellcheck disable=SC2086 # PROXY_ARGS is a list of words
"$KINKO_BIN" proxy --listen 127.0.0.1:0 --allow-plain-upstream ${PROXY_ARGS:-} >"$WORK/proxy.log" 2>&1 &
PROXY_PID=$!
PIDS+=("$PROXY_PID")
PROXY=$(listening "$WORK/proxy.log")
for address in "$SERVER/health" "$SLOW/"; do
    curl -sf --noproxy '' -x "http://$PROXY" "http://$address" >/dev/null ||
        die "the proxy does not answer for $address: $(cat "$WORK/proxy.log")"
done

# run NAME UPSTREAM_PID URL CONNECTIONS [oha options...]: one measurement,
# with the CPU time of the upstream, the proxy and oha during it.
run() {
    local name=$1 upstream_pid=$2 url=$3 connections=$4
    shift 4
    local upstream_before proxy_before
    upstream_before=$(ticks "$upstream_pid")
    proxy_before=$(ticks "$PROXY_PID")
    local TIMEFORMAT='%U %S'
    { time "$OHA" --no-tui --output-format json -z "$DURATION" -c "$connections" "$@" "$url" \
        >"$WORK/$name.json"; } 2>"$WORK/$name.oha-time"
    echo "$(($(ticks "$upstream_pid") - upstream_before)) $(($(ticks "$PROXY_PID") - proxy_before)) $(cat "$WORK/$name.oha-time")" \
        >"$WORK/$name.cpu"
}

ZERO="http://$SERVER/health"
FIXED="http://$SLOW/"
# Warm up every path (connection pools, rule cache).
for url in "$ZERO" "$FIXED"; do
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" "$url"
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" -x "http://$PROXY" "$url"
done
for round in $(seq 1 "$ROUNDS"); do
    for load in 1 "$CONCURRENCY"; do
        run "zero-c$load-direct-$round" "$SERVER_PID" "$ZERO" "$load"
        run "zero-c$load-proxy-$round" "$SERVER_PID" "$ZERO" "$load" -x "http://$PROXY"
        run "fixed-c$load-direct-$round" "$SLOW_PID" "$FIXED" "$load"
        run "fixed-c$load-proxy-$round" "$SLOW_PID" "$FIXED" "$load" -x "http://$PROXY"
    done
done

python3 - "$WORK" "$CONCURRENCY" "$DURATION" "$ROUNDS" "$SERVICE_MS" "$(getconf CLK_TCK)" <<'PY'
import json, statistics, sys
work, conc, duration, rounds, service_ms, hz = sys.argv[1:7]
rounds, hz = int(rounds), float(hz)

def load(name):
    with open(f"{work}/{name}.json") as f:
        result = json.load(f)
    with open(f"{work}/{name}.cpu") as f:
        upstream, proxy, oha_user, oha_sys = f.read().split()
    result["cpu"] = {
        "upstream": int(upstream) / hz,
        "proxy": int(proxy) / hz,
        "oha": float(oha_user) + float(oha_sys),
    }
    return result

def p50(d):
    return d["latencyPercentiles"]["p50"] * 1000.0

def rps(d):
    return d["summary"]["requestsPerSec"]

def ok(d):
    codes = d.get("statusCodeDistribution", {})
    return sum(v for k, v in codes.items() if k.startswith("2")), sum(codes.values())

def us_per_request(d, who):
    total = sum(d.get("statusCodeDistribution", {}).values())
    return d["cpu"][who] / total * 1e6 if total else float("nan")

scenarios = [("zero", "zero-cost upstream (kinko /health)"), ("fixed", f"{service_ms} ms upstream (bench_upstream)")]
loads = [("1", "1 connection"), (conc, f"{conc} connections")]
print(f"duration {duration} per run, {rounds} rounds, direct and proxy interleaved; proxy: --allow-plain-upstream, one header rule\n")
print("| upstream | load | round | direct req/s | proxy req/s | proxy/direct | direct p50 ms | proxy p50 ms | added p50 ms | proxy p99 ms | proxy 2xx / all |")
print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
summary = []
cpu_rows = []
for scenario, scenario_label in scenarios:
    for c, load_label in loads:
        shares, added = [], []
        for r in range(1, rounds + 1):
            d = load(f"{scenario}-c{c}-direct-{r}")
            x = load(f"{scenario}-c{c}-proxy-{r}")
            share = rps(x) / rps(d) * 100
            shares.append(share)
            added.append(p50(x) - p50(d))
            good, total = ok(x)
            print(f"| {scenario_label} | {load_label} | {r} | {rps(d):.0f} | {rps(x):.0f} | {share:.0f}% | {p50(d):.3f} | {p50(x):.3f} | {p50(x) - p50(d):.3f} | {x['latencyPercentiles']['p99'] * 1000:.3f} | {good} / {total} |")
            for path, run in (("direct", d), ("proxy", x)):
                cpu_rows.append((scenario_label, load_label, r, path, run))
        summary.append((scenario_label, load_label, statistics.median(shares), min(shares), max(shares), statistics.median(added)))
print()
for scenario_label, load_label, median, low, high, added in summary:
    print(f"- {scenario_label}, {load_label}: throughput {median:.0f}% of direct (median; {low:.0f}-{high:.0f}%, target >= 70%), added p50 {added:.3f} ms (median, target <= 0.3)")
print()
print("CPU time per request, in microseconds, by process (user + system):\n")
print("| upstream | load | round | path | req/s | upstream | proxy | oha | all three |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|")
for scenario_label, load_label, r, path, run in cpu_rows:
    u, p, o = (us_per_request(run, who) for who in ("upstream", "proxy", "oha"))
    print(f"| {scenario_label} | {load_label} | {r} | {path} | {rps(run):.0f} | {u:.1f} | {p:.1f} | {o:.1f} | {u + p + o:.1f} |")
PY
