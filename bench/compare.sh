#!/usr/bin/env bash
# Two kinko binaries side by side in one run: a change that should not cost
# speed (a refactoring) is measured against the binary from before it.
#
# Usage: BASE_BIN=/path/to/old/kinko NEW_BIN=target/release/kinko bench/compare.sh
# Environment (optional): ROUNDS (default 3), DURATION (oha duration per
# measured run, default 8s), CONCURRENCY (default 32), OPS (default
# "GetParameter GetSecretValue"), OHA.
#
# Each round starts both servers fresh (durable SQLite data dir, not --dev),
# seeds them with bench/seed.py, and measures each operation on base, then
# new, then new, then base (ABBA), so that a drift of the machine's load
# during the run falls on both alike. Noise is judged from the spread of one
# binary's own runs: the report prints each binary's min–max beside the
# median, and calls a difference real only when the medians differ by more
# than both spreads.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${BASE_BIN:?BASE_BIN: the kinko binary from before the change}"
: "${NEW_BIN:?NEW_BIN: the kinko binary with the change}"
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-8s}
CONCURRENCY=${CONCURRENCY:-32}
OPS=${OPS:-GetParameter GetSecretValue}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
[[ -x "$OHA" ]] || { echo "oha not found (cargo install oha --locked --version 1.16.0)" >&2; exit 1; }

WORK=$(mktemp -d -t kinko-compare.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() {
    python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}
profile_value() { # FILE KEY
    python3 -c "import configparser, sys; c = configparser.ConfigParser(); c.read(sys.argv[1]); print(c['kinko'][sys.argv[2]])" "$1" "$2"
}

declare -A TARGET=([GetParameter]=AmazonSSM.GetParameter [GetSecretValue]=secretsmanager.GetSecretValue)
declare -A SIGNING=([GetParameter]=ssm [GetSecretValue]=secretsmanager)
declare -A BODY=(
    [GetParameter]='{"Name":"/bench/secret","WithDecryption":true}'
    [GetSecretValue]='{"SecretId":"bench/app"}'
)

# Starts one binary on a fresh data dir; sets ENDPOINT, KEY, SECRET, PID.
start() { # NAME BIN
    local name=$1 bin=$2 port data
    port=$(free_port)
    data="$WORK/$name-data-$RANDOM"
    "$BENCH_DIR/spawn.py" "$WORK/$name.log" "http://127.0.0.1:$port/health" 30 -- \
        "$bin" server --listen "127.0.0.1:$port" --data-dir "$data" >"$WORK/$name.spawn.json"
    PID=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['pid'])" "$WORK/$name.spawn.json")
    PIDS+=("$PID")
    ENDPOINT="http://127.0.0.1:$port"
    KEY=$(profile_value "$data/credentials" aws_access_key_id)
    SECRET=$(profile_value "$data/credentials" aws_secret_access_key)
    python3 "$BENCH_DIR/seed.py" "$ENDPOINT" "$KEY" "$SECRET" us-east-1 100 >/dev/null
}

measure() { # NAME OP ROUND
    local name=$1 op=$2 round=$3 out
    out="$WORK/$name.$op.$round.$RANDOM.json"
    "$OHA" --no-tui --output-format json -o "$WORK/warmup.json" -n 500 -c "$CONCURRENCY" \
        -m POST -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: ${TARGET[$op]}" \
        -d "${BODY[$op]}" --aws-sigv4 "aws:amz:us-east-1:${SIGNING[$op]}" -a "$KEY:$SECRET" "$ENDPOINT/"
    "$OHA" --no-tui --output-format json -o "$out" -z "$DURATION" -w -c "$CONCURRENCY" \
        -m POST -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: ${TARGET[$op]}" \
        -d "${BODY[$op]}" --aws-sigv4 "aws:amz:us-east-1:${SIGNING[$op]}" -a "$KEY:$SECRET" "$ENDPOINT/"
    python3 "$BENCH_DIR/report.py" check "$out" "$name $op round $round" 0.99 >&2
    python3 - "$out" "$name" "$op" >>"$WORK/rows.txt" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
ok = sum(n for c, n in r.get("statusCodeDistribution", {}).items() if c.startswith("2"))
print(sys.argv[2], sys.argv[3], ok / r["summary"]["total"])
PY
}

LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for round in $(seq "$ROUNDS"); do
    echo "round $round of $ROUNDS" >&2
    for op in $OPS; do
        for name in base new new base; do
            bin=$BASE_BIN
            [[ $name == new ]] && bin=$NEW_BIN
            start "$name" "$bin"
            measure "$name" "$op" "$round"
            kill "$PID"; wait "$PID" 2>/dev/null || true
        done
    done
done

python3 - "$WORK/rows.txt" "$BASE_BIN" "$NEW_BIN" "$ROUNDS" "$DURATION" "$CONCURRENCY" "$LOADAVG" "$(cut -d' ' -f1-3 /proc/loadavg)" <<'PY'
import statistics, sys
rows, base, new, rounds, duration, conc, load0, load1 = sys.argv[1:]
runs = {}
for line in open(rows):
    name, op, rps = line.split()
    runs.setdefault((op, name), []).append(float(rps))
print(f"base: `{base}`  \nnew: `{new}`  \n{rounds} rounds × 2 runs per binary and operation (ABBA), oha -z {duration} -c {conc}, load average {load0} → {load1}\n")
print("| op | base median req/s | base min–max | new median req/s | new min–max | new ÷ base | verdict |")
print("|---|---|---|---|---|---|---|")
for op in sorted({op for op, _ in runs}):
    b, n = runs[(op, "base")], runs[(op, "new")]
    mb, mn = statistics.median(b), statistics.median(n)
    spread = max(max(b) - min(b), max(n) - min(n))
    verdict = "within noise" if abs(mn - mb) <= spread else ("faster" if mn > mb else "SLOWER")
    print(f"| {op} | {mb:,.0f} | {min(b):,.0f}–{max(b):,.0f} | {mn:,.0f} | {min(n):,.0f}–{max(n):,.0f} | {mn / mb:.3f} | {verdict} |")
PY
