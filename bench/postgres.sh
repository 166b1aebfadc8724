#!/usr/bin/env bash
# GetParameter and PutParameter throughput and latency: the embedded SQLite
# store, one kinko node on PostgreSQL, and two nodes on the same PostgreSQL
# schema (two oha processes, one per node, run at the same time; their
# throughputs add up). One run, same load generator and settings throughout.
#
# Needs: oha 1.16, psql, a PostgreSQL reachable at $PG_URL (default: the
# machine's local one), a release build (built unless KINKO_BIN is set).
#
#   bench/postgres.sh
#   DURATION=20s CONCURRENCY=32 bench/postgres.sh
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/test}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
[[ -x "$OHA" ]] || { echo "oha not found (cargo install oha --locked --version 1.16.0)" >&2; exit 1; }

if [[ -z "${KINKO_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build --release --bin kinko >&2)
    KINKO_BIN="$ROOT/target/release/kinko"
fi

WORK=$(mktemp -d)
SCHEMA="kinko_bench_$$"
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    psql -q "$PG_URL" -c "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1 || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# A root key every PostgreSQL node shares (0600, as kinko requires).
head -c 32 /dev/urandom | base64 >"$WORK/root.key"
chmod 600 "$WORK/root.key"
psql -q "$PG_URL" -c "CREATE SCHEMA $SCHEMA" >/dev/null
STORE_URL="$PG_URL?options=-csearch_path%3D$SCHEMA"

# Starts a node and sets NODE_EP and NODE_PID (no subshell, so the cleanup
# trap knows every pid). Args: NAME [extra server flags...]
start_node() {
    local name=$1 port
    shift
    port=$(free_port)
    KINKO_LOG=warn "$KINKO_BIN" server --listen "127.0.0.1:$port" --data-dir "$WORK/$name" "$@" \
        >"$WORK/$name.log" 2>&1 &
    NODE_PID=$!
    PIDS+=("$NODE_PID")
    for _ in $(seq 300); do
        curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
        sleep 0.1
    done
    curl -sf "http://127.0.0.1:$port/health" >/dev/null || { cat "$WORK/$name.log" >&2; exit 1; }
    NODE_EP="http://127.0.0.1:$port"
}

# Every node of a PostgreSQL deployment bootstraps the same admin key; the
# SQLite node has its own.
credentials() { # DATA_DIR
    local file=$1/credentials
    echo "$(awk -F' = ' '/aws_access_key_id/ {print $2}' "$file"):$(awk -F' = ' '/aws_secret_access_key/ {print $2}' "$file")"
}

oha_json() { # OUT ENDPOINT KEY OP BODY
    "$OHA" --no-tui --output-format json -o "$1" -z "$DURATION" -w -c "$CONCURRENCY" -m POST \
        -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: AmazonSSM.$4" \
        -d "$5" --aws-sigv4 "aws:amz:us-east-1:ssm" -a "$3" "$2/"
}

seed() { # ENDPOINT KEY
    AWS_ACCESS_KEY_ID=${2%%:*} AWS_SECRET_ACCESS_KEY=${2#*:} AWS_DEFAULT_REGION=us-east-1 \
        AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent \
        aws --endpoint-url "$1" ssm put-parameter --name /bench/secret --type SecureString \
        --value bench-secret-value --overwrite >/dev/null
}

GET='{"Name":"/bench/secret","WithDecryption":true}'
PUT='{"Name":"/bench/put","Value":"v","Type":"String","Overwrite":true}'

summary() { # LABEL OP JSON...  (several JSON files = nodes under load at once)
    python3 - "$@" <<'PY'
import json, sys
label, op, files = sys.argv[1], sys.argv[2], sys.argv[3:]
rps = p50 = p99 = 0.0
ok = total = 0
for f in files:
    d = json.load(open(f))
    codes = d.get("statusCodeDistribution", {})
    n = sum(codes.values())
    good = sum(v for k, v in codes.items() if k.startswith("2"))
    total += n; ok += good
    rps += d["summary"]["requestsPerSec"] * (good / n if n else 0)
    lat = d["latencyPercentiles"]
    p50 = max(p50, lat["p50"] or 0); p99 = max(p99, lat["p99"] or 0)
share = ok / total if total else 0
if share < 0.99:
    sys.exit(f"{label} {op}: only {share:.2%} 2xx responses; invalid run")
print(f"| {label} | {op} | {rps:,.0f} | {p50*1000:.2f} ms | {p99*1000:.2f} ms | {share:.2%} |")
PY
}

echo "## PostgreSQL vs embedded store, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "- command: \`bench/postgres.sh\` (DURATION=$DURATION CONCURRENCY=$CONCURRENCY per oha process), oha $("$OHA" --version | awk '{print $2}')"
echo "- machine: $(nproc) CPUs, $(psql -At "$PG_URL" -c 'show server_version') PostgreSQL on the same machine, kinko logging at warn"
echo "- two nodes: two oha processes at once, one per node; req/s is their sum, p50/p99 the worse of the two"
echo
echo "| store | op | req/s (2xx) | p50 | p99 | 2xx share |"
echo "|---|---|---:|---:|---:|---:|"

start_node sqlite
EP=$NODE_EP
KEY=$(credentials "$WORK/sqlite")
seed "$EP" "$KEY"
oha_json "$WORK/s.get.json" "$EP" "$KEY" GetParameter "$GET"; summary "SQLite, 1 node" GetParameter "$WORK/s.get.json"
oha_json "$WORK/s.put.json" "$EP" "$KEY" PutParameter "$PUT"; summary "SQLite, 1 node" PutParameter "$WORK/s.put.json"
kill "$NODE_PID"

start_node pg-a --store "$STORE_URL" --root-key-file "$WORK/root.key"
A=$NODE_EP
KEY=$(credentials "$WORK/pg-a")
seed "$A" "$KEY"
oha_json "$WORK/p1.get.json" "$A" "$KEY" GetParameter "$GET"; summary "PostgreSQL, 1 node" GetParameter "$WORK/p1.get.json"
oha_json "$WORK/p1.put.json" "$A" "$KEY" PutParameter "$PUT"; summary "PostgreSQL, 1 node" PutParameter "$WORK/p1.put.json"

start_node pg-b --store "$STORE_URL" --root-key-file "$WORK/root.key"
B=$NODE_EP
oha_json "$WORK/p2a.get.json" "$A" "$KEY" GetParameter "$GET" &
other=$!
oha_json "$WORK/p2b.get.json" "$B" "$KEY" GetParameter "$GET"
wait "$other"
summary "PostgreSQL, 2 nodes" GetParameter "$WORK/p2a.get.json" "$WORK/p2b.get.json"
oha_json "$WORK/p2a.put.json" "$A" "$KEY" PutParameter "$PUT" &
other=$!
oha_json "$WORK/p2b.put.json" "$B" "$KEY" PutParameter "$PUT"
wait "$other"
summary "PostgreSQL, 2 nodes" PutParameter "$WORK/p2a.put.json" "$WORK/p2b.put.json"
