#!/usr/bin/env bash
# Benchmark kinko and moto side by side: same data, same load generator, same
# concurrency, one after the other in one run. See bench/README.md.
#
# Usage: bench/run.sh
# Environment (all optional):
#   KINKO_BIN     kinko binary to use instead of building target/release/kinko
#   KINKO_ARGS    extra `kinko server` arguments, e.g. "--log-level warn"
#   SERVERS       which servers to measure (default "kinko moto")
#   DURATION      oha duration per measured run (default 10s)
#   CONCURRENCY   oha connections (default 32)
#   WALK_RUNS     full GetParametersByPath walks per server (default 5)
#   MIN_2XX_SHARE a run with fewer 2xx responses is invalid (default 0.99)
#   OHA           oha binary (default: oha on PATH, else ~/.cargo/bin/oha)
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
# The command as given, with the settings that were overridden, for the report.
BENCH_COMMAND="bench/run.sh"
for var in MIN_2XX_SHARE WALK_RUNS CONCURRENCY DURATION SERVERS KINKO_ARGS KINKO_BIN; do
    if [[ -n "${!var:-}" ]]; then
        BENCH_COMMAND="$var='${!var}' $BENCH_COMMAND"
    fi
done
SERVERS=${SERVERS:-kinko moto}
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
WALK_RUNS=${WALK_RUNS:-5}
MIN_2XX_SHARE=${MIN_2XX_SHARE:-0.99}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}

WORK=$(mktemp -d -t kinko-bench.XXXXXX)
KINKO_DATA=$(mktemp -d -t kinko-bench-data.XXXXXX)
PIDS=()

# Stop only the servers this script started, by pid; keep the logs if we failed.
cleanup() {
    local status=$?
    for pid in "${PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    for pid in "${PIDS[@]}"; do
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$pid" 2>/dev/null || true
    done
    if [[ $status -eq 0 ]]; then
        rm -rf "$WORK" "$KINKO_DATA"
    else
        echo "benchmark FAILED (status $status); logs and oha output kept in $WORK" >&2
        rm -rf "$KINKO_DATA"
    fi
}
trap cleanup EXIT

die() {
    echo "error: $*" >&2
    exit 1
}

free_port() {
    python3 -c "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"
}

json_field() { # FILE FIELD
    python3 -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"
}

# The value of KEY in the [kinko] profile of an aws credentials file.
profile_value() { # FILE KEY
    python3 - "$1" "$2" <<'EOF'
import configparser, sys
config = configparser.ConfigParser()
config.read(sys.argv[1])
print(config["kinko"][sys.argv[2]])
EOF
}

peak_rss_kb() { # PID
    awk '/^VmHWM:/ { print $2 }' "/proc/$1/status"
}

[[ -x "$OHA" ]] || die "oha not found (install: cargo install oha --locked --version 1.16.0)"
command -v moto_server >/dev/null || die "moto_server not found"
python3 -c "import boto3" || die "python3 with boto3 is required"
OHA_VERSION=$("$OHA" --version | awk '{ print $2 }')
MOTO_VERSION=$(python3 -c "import moto; print(moto.__version__)")

# --- 1. the kinko binary ---------------------------------------------------
if [[ " $SERVERS " == *" kinko "* ]]; then
    if [[ -z "${KINKO_BIN:-}" ]]; then
        echo "building the release binary (cargo build --release)…" >&2
        (cd "$ROOT" && cargo build --release --bin kinko) >&2
        KINKO_BIN="$ROOT/target/release/kinko"
    fi
    [[ -x "$KINKO_BIN" ]] || die "no kinko binary at $KINKO_BIN"
fi

# --- 2./3. start the servers: endpoint, credentials, region per server ---------
declare -A ENDPOINT ACCESS_KEY SECRET_KEY REGION PID

start_kinko() {
    local port
    port=$(free_port)
    # KINKO_ARGS is split into words on purpose: it holds several flags.
    # shellcheck disable=SC2086
    "$BENCH_DIR/spawn.py" "$WORK/kinko.log" "http://127.0.0.1:$port/health" 30 -- \
        "$KINKO_BIN" server --listen "127.0.0.1:$port" --data-dir "$KINKO_DATA" ${KINKO_ARGS:-} \
        >"$WORK/kinko.spawn.json"
    PID[kinko]=$(json_field "$WORK/kinko.spawn.json" pid)
    PIDS+=("${PID[kinko]}")
    [[ -f "$KINKO_DATA/credentials" ]] || die "kinko wrote no $KINKO_DATA/credentials"
    [[ -f "$KINKO_DATA/server.json" ]] || die "kinko wrote no $KINKO_DATA/server.json"
    ACCESS_KEY[kinko]=$(profile_value "$KINKO_DATA/credentials" aws_access_key_id)
    SECRET_KEY[kinko]=$(profile_value "$KINKO_DATA/credentials" aws_secret_access_key)
    ENDPOINT[kinko]=$(json_field "$KINKO_DATA/server.json" endpoint_url)
    REGION[kinko]=$(json_field "$KINKO_DATA/server.json" region 2>/dev/null || echo us-east-1)
    echo "kinko: ${ENDPOINT[kinko]} pid ${PID[kinko]} $(cat "$WORK/kinko.spawn.json")" >&2
}

start_moto() {
    local port
    port=$(free_port)
    # moto has no health route; its dashboard answers 200 once the app is up.
    "$BENCH_DIR/spawn.py" "$WORK/moto.log" "http://127.0.0.1:$port/moto-api/" 60 -- \
        moto_server -H 127.0.0.1 -p "$port" >"$WORK/moto.spawn.json"
    PID[moto]=$(json_field "$WORK/moto.spawn.json" pid)
    PIDS+=("${PID[moto]}")
    ENDPOINT[moto]="http://127.0.0.1:$port"
    ACCESS_KEY[moto]=bench
    SECRET_KEY[moto]=bench
    REGION[moto]=us-east-1
    echo "moto: ${ENDPOINT[moto]} pid ${PID[moto]} $(cat "$WORK/moto.spawn.json")" >&2
}

for server in $SERVERS; do
    case $server in
        kinko) start_kinko ;;
        moto) start_moto ;;
        *) die "unknown server $server" ;;
    esac
done

# --- 4. seed both identically --------------------------------------------------
for server in $SERVERS; do
    python3 "$BENCH_DIR/seed.py" "${ENDPOINT[$server]}" "${ACCESS_KEY[$server]}" \
        "${SECRET_KEY[$server]}" "${REGION[$server]}" 1000 >&2
done

# --- 5. oha: one operation at a time, one server at a time ---------------------
# Each run has an X-Amz-Target operation and a body. PutParameterDistinct is a
# supplementary run, not a target: PutParameter where each request picks one of
# 1,000 names at random (oha -Z picks a random line per request), which tells
# contention on one parameter apart from the cost of a write itself.
OPS=(GetParameter GetParametersByPath PutParameter PutParameterDistinct GetSecretValue)
declare -A TARGET=(
    [GetParameter]=GetParameter
    [GetParametersByPath]=GetParametersByPath
    [PutParameter]=PutParameter
    [PutParameterDistinct]=PutParameter
    [GetSecretValue]=GetSecretValue
)
# X-Amz-Target prefix and SigV4 service name of each run (SSM unless listed).
declare -A PREFIX=([GetSecretValue]=secretsmanager)
declare -A SIGNING=([GetSecretValue]=secretsmanager)
declare -A BODY=(
    [GetParameter]='{"Name":"/bench/secret","WithDecryption":true}'
    [GetParametersByPath]='{"Path":"/bench/path","Recursive":true,"WithDecryption":true,"MaxResults":10}'
    [PutParameter]='{"Name":"/bench/put","Value":"v","Type":"String","Overwrite":true}'
    [GetSecretValue]='{"SecretId":"bench/app"}'
)
DISTINCT_BODIES="$WORK/put-distinct.txt"
for i in $(seq -w 0 999); do
    echo "{\"Name\":\"/bench/put-distinct/n$i\",\"Value\":\"v\",\"Type\":\"String\",\"Overwrite\":true}"
done >"$DISTINCT_BODIES"
BODY[PutParameterDistinct]=$(head -n 1 "$DISTINCT_BODIES")

# Runs oha; with CPU_REPORT set, under cpuload.py, which writes there where
# the machine's CPU went during the run.
oha_run() { # SERVER OP OUTPUT [oha load options...]
    local server=$1 op=$2 output=$3
    shift 3
    local wrap=()
    if [[ -n "${CPU_REPORT:-}" ]]; then
        wrap=(python3 "$BENCH_DIR/cpuload.py" "$CPU_REPORT" "${PID[$server]}" --)
    fi
    local body=(-d "${BODY[$op]}")
    if [[ $op == PutParameterDistinct ]]; then
        body=(-Z "$DISTINCT_BODIES")
    fi
    "${wrap[@]}" "$OHA" --no-tui --output-format json -o "$output" "$@" \
        -m POST \
        -H "Content-Type: application/x-amz-json-1.1" \
        -H "X-Amz-Target: ${PREFIX[$op]:-AmazonSSM}.${TARGET[$op]}" \
        "${body[@]}" \
        --aws-sigv4 "aws:amz:${REGION[$server]}:${SIGNING[$op]:-ssm}" \
        -a "${ACCESS_KEY[$server]}:${SECRET_KEY[$server]}" \
        "${ENDPOINT[$server]}/"
}

# On a rejected single request, show what the server said, signed by curl.
show_response() { # SERVER OP
    local server=$1 op=$2
    echo "--- one $op to $server, signed by curl --aws-sigv4:" >&2
    curl -sS -i -X POST \
        -H "Content-Type: application/x-amz-json-1.1" \
        -H "X-Amz-Target: ${PREFIX[$op]:-AmazonSSM}.${TARGET[$op]}" \
        --data-binary "${BODY[$op]}" \
        --aws-sigv4 "aws:amz:${REGION[$server]}:${SIGNING[$op]:-ssm}" \
        --user "${ACCESS_KEY[$server]}:${SECRET_KEY[$server]}" \
        "${ENDPOINT[$server]}/" >&2 || true
    echo >&2
}

# Other work on the machine skews every number: record how busy it was.
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
for server in $SERVERS; do
    for op in "${OPS[@]}"; do
        # One signed request first: a wrong signature must fail here, not
        # produce 10 s of fast 403s that look like throughput.
        oha_run "$server" "$op" "$WORK/$server.$op.single.json" -n 1 -c 1
        if ! python3 "$BENCH_DIR/report.py" check "$WORK/$server.$op.single.json" "$server $op single" 1.0 >&2; then
            show_response "$server" "$op"
            die "$server rejected a single oha-signed $op"
        fi
        oha_run "$server" "$op" "$WORK/$server.$op.warmup.json" -n 500 -c "$CONCURRENCY"
        CPU_REPORT="$WORK/$server.$op.cpu.json" \
            oha_run "$server" "$op" "$WORK/$server.$op.json" -z "$DURATION" -w -c "$CONCURRENCY"
        python3 "$BENCH_DIR/report.py" check "$WORK/$server.$op.json" "$server $op" "$MIN_2XX_SHARE" >&2 ||
            die "$server $op: invalid run, see $WORK/$server.$op.json"
    done
done

LOADAVG_END=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 6. a full paginated walk with boto3 ------------------------------------------
for server in $SERVERS; do
    python3 "$BENCH_DIR/walk.py" "${ENDPOINT[$server]}" "${ACCESS_KEY[$server]}" \
        "${SECRET_KEY[$server]}" "${REGION[$server]}" "$WALK_RUNS" 1000 >"$WORK/$server.walk.json"
    echo "$server walk: $(cat "$WORK/$server.walk.json")" >&2
    peak_rss_kb "${PID[$server]}" >"$WORK/$server.peak_rss_kb"
done

# --- 7. the report ------------------------------------------------------------
RESULTS="$BENCH_DIR/results-$(date -u +%Y-%m-%dT%H%M%SZ).md"
BENCH_COMMAND="$BENCH_COMMAND" DURATION="$DURATION" CONCURRENCY="$CONCURRENCY" \
    OHA_VERSION="$OHA_VERSION" KINKO_BIN="${KINKO_BIN:-}" KINKO_ARGS="${KINKO_ARGS:-}" MOTO_VERSION="$MOTO_VERSION" LOADAVG="$LOADAVG" LOADAVG_END="$LOADAVG_END" \
    python3 "$BENCH_DIR/report.py" render "$WORK" >"$RESULTS"
cat "$RESULTS"
echo "written to $RESULTS" >&2
