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
# The peer: nginx set up to do the same work (add the header, keep-alive
# connections to the upstream, an access log buffered as kinko's is),
# measured in the same rounds when nginx is installed (apt-get install
# nginx-light); it shows what any proxy costs on this machine.
# Each measurement is taken ROUNDS times, direct, through kinko and through
# nginx interleaved, so a busy machine skews all alike; the ratios are per
# round.
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
#   NGINX         nginx binary (default: nginx on PATH or /usr/sbin/nginx;
#                 NGINX=none leaves the peer out)
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
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}
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

# CPU time (user + system) processes have used, in clock ticks.
ticks() {
    local pid total=0
    for pid in "$@"; do total=$((total + $(awk '{ print $14 + $15 }' "/proc/$pid/stat"))); done
    echo "$total"
}

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

# The peer: one nginx server block per upstream (nginx routes by its own
# port, not by the absolute URL), each adding the same header.
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PEER_PIDS=()
if [[ "$NGINX" != none && -x "$NGINX" ]]; then
    mkdir -p "$WORK/nginx/logs"
    NGINX_ZERO=127.0.0.1:$(free_port)
    NGINX_FIXED=127.0.0.1:$(free_port)
    cat >"$WORK/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
user root;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log $WORK/nginx/logs/access.log combined buffer=32k flush=100ms;
    upstream zero { server $SERVER; keepalive 64; }
    upstream fixed { server $SLOW; keepalive 64; }
    proxy_http_version 1.1;
    proxy_set_header Connection "";
    proxy_set_header X-Api-Key bench-token;
    server { listen $NGINX_ZERO; location / { proxy_pass http://zero; } }
    server { listen $NGINX_FIXED; location / { proxy_pass http://fixed; } }
}
CONF
    "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" >"$WORK/nginx/stdout.log" 2>&1 &
    NGINX_PID=$!
    PIDS+=("$NGINX_PID")
    for _ in $(seq 1 100); do
        curl -sf --noproxy '' -x "http://$NGINX_ZERO" "http://$SERVER/health" >/dev/null && break
        sleep 0.05
    done
    curl -sf --noproxy '' -x "http://$NGINX_FIXED" "http://$SLOW/" >/dev/null ||
        die "nginx does not answer: $(cat "$WORK/nginx/stdout.log" "$WORK/nginx/logs/error.log")"
    mapfile -t PEER_PIDS < <(pgrep -P "$NGINX_PID")
    PEER_PIDS+=("$NGINX_PID")
else
    echo "bench/proxy: nginx not found, the peer is left out (apt-get install nginx-light)" >&2
fi

# run NAME UPSTREAM_PID URL CONNECTIONS [oha options...]: one measurement,
# with the CPU time of the upstream, the proxy in the middle (kinko's or the
# peer's; none directly) and oha during it.
run() {
    local name=$1 upstream_pid=$2 url=$3 connections=$4
    shift 4
    local middle=()
    case $name in
        *-proxy-*) middle=("$PROXY_PID") ;;
        *-nginx-*) middle=("${PEER_PIDS[@]}") ;;
    esac
    local upstream_before middle_before=0
    upstream_before=$(ticks "$upstream_pid")
    ((${#middle[@]})) && middle_before=$(ticks "${middle[@]}")
    local TIMEFORMAT='%U %S'
    { time "$OHA" --no-tui --output-format json -z "$DURATION" -c "$connections" "$@" "$url" \
        >"$WORK/$name.json"; } 2>"$WORK/$name.oha-time"
    local middle_used=0
    ((${#middle[@]})) && middle_used=$(($(ticks "${middle[@]}") - middle_before))
    echo "$(($(ticks "$upstream_pid") - upstream_before)) $middle_used $(cat "$WORK/$name.oha-time")" \
        >"$WORK/$name.cpu"
}

ZERO="http://$SERVER/health"
FIXED="http://$SLOW/"
# Warm up every path (connection pools, rule cache).
for url in "$ZERO" "$FIXED"; do
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" "$url"
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" -x "http://$PROXY" "$url"
done
if ((${#PEER_PIDS[@]})); then
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" -x "http://$NGINX_ZERO" "$ZERO"
    "$OHA" --no-tui --output-format quiet -z 2s -c "$CONCURRENCY" -x "http://$NGINX_FIXED" "$FIXED"
fi
for round in $(seq 1 "$ROUNDS"); do
    for load in 1 "$CONCURRENCY"; do
        run "zero-c$load-direct-$round" "$SERVER_PID" "$ZERO" "$load"
        run "zero-c$load-proxy-$round" "$SERVER_PID" "$ZERO" "$load" -x "http://$PROXY"
        ((${#PEER_PIDS[@]})) && run "zero-c$load-nginx-$round" "$SERVER_PID" "$ZERO" "$load" -x "http://$NGINX_ZERO"
        run "fixed-c$load-direct-$round" "$SLOW_PID" "$FIXED" "$load"
        run "fixed-c$load-proxy-$round" "$SLOW_PID" "$FIXED" "$load" -x "http://$PROXY"
        ((${#PEER_PIDS[@]})) && run "fixed-c$load-nginx-$round" "$SLOW_PID" "$FIXED" "$load" -x "http://$NGINX_FIXED"
    done
done

python3 - "$WORK" "$CONCURRENCY" "$DURATION" "$ROUNDS" "$SERVICE_MS" "$(getconf CLK_TCK)" <<'PY'
import json, os, statistics, sys
work, conc, duration, rounds, service_ms, hz = sys.argv[1:7]
rounds, hz = int(rounds), float(hz)

def load(name):
    if not os.path.exists(f"{work}/{name}.json"):
        return None
    with open(f"{work}/{name}.json") as f:
        result = json.load(f)
    with open(f"{work}/{name}.cpu") as f:
        upstream, middle, oha_user, oha_sys = f.read().split()
    result["cpu"] = {
        "upstream": int(upstream) / hz,
        "middle": int(middle) / hz,
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

def pct(values):
    return f"{statistics.median(values):.0f}% ({min(values):.0f}-{max(values):.0f})" if values else "-"

scenarios = [("zero", "zero-cost upstream (kinko /health)"), ("fixed", f"{service_ms} ms upstream (bench_upstream)")]
loads = [("1", "1 connection"), (conc, f"{conc} connections")]
peer = load(f"zero-c1-nginx-1") is not None
print(f"duration {duration} per run, {rounds} rounds, direct, kinko proxy{' and nginx' if peer else ''} interleaved; "
      "kinko proxy: --allow-plain-upstream, one header rule; nginx: the same header, keepalive upstreams\n")
print("| upstream | load | round | path | req/s | of direct | p50 ms | added p50 ms | p99 ms | 2xx / all |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|---|")
summary = []
cpu_rows = []
for scenario, scenario_label in scenarios:
    for c, load_label in loads:
        share = {"proxy": [], "nginx": []}
        added = {"proxy": [], "nginx": []}
        for r in range(1, rounds + 1):
            d = load(f"{scenario}-c{c}-direct-{r}")
            cpu_rows.append((scenario_label, load_label, r, "direct", d))
            print(f"| {scenario_label} | {load_label} | {r} | direct | {rps(d):.0f} | | {p50(d):.3f} | | {d['latencyPercentiles']['p99'] * 1000:.3f} | {'%d / %d' % ok(d)} |")
            for path, label in (("proxy", "kinko proxy"), ("nginx", "nginx")):
                x = load(f"{scenario}-c{c}-{path}-{r}")
                if x is None:
                    continue
                share[path].append(rps(x) / rps(d) * 100)
                added[path].append(p50(x) - p50(d))
                cpu_rows.append((scenario_label, load_label, r, label, x))
                print(f"| {scenario_label} | {load_label} | {r} | {label} | {rps(x):.0f} | {share[path][-1]:.0f}% | {p50(x):.3f} | {p50(x) - p50(d):.3f} | {x['latencyPercentiles']['p99'] * 1000:.3f} | {'%d / %d' % ok(x)} |")
        summary.append((scenario_label, load_label, share, added))
print()
for scenario_label, load_label, share, added in summary:
    line = (f"- {scenario_label}, {load_label}: kinko proxy {pct(share['proxy'])} of direct throughput (median, range; target >= 70%), "
            f"added p50 {statistics.median(added['proxy']):.3f} ms (median; target <= 0.3)")
    if share["nginx"]:
        line += f"; nginx {pct(share['nginx'])}, added p50 {statistics.median(added['nginx']):.3f} ms"
    print(line)
print()
print("CPU time per request, in microseconds, by process (user + system; 'middle' is the proxy, kinko's or nginx's workers):\n")
print("| upstream | load | round | path | req/s | upstream | middle | oha | all |")
print("|---|---|---:|---|---:|---:|---:|---:|---:|")
for scenario_label, load_label, r, path, run in cpu_rows:
    u, m, o = (us_per_request(run, who) for who in ("upstream", "middle", "oha"))
    print(f"| {scenario_label} | {load_label} | {r} | {path} | {rps(run):.0f} | {u:.1f} | {m:.1f} | {o:.1f} | {u + m + o:.1f} |")
PY
