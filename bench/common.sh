# Shared by the A/B benchmarks (policy.sh, change-feed.sh); sourced, not run.
# Sets BENCH_DIR, ROOT, DURATION, CONCURRENCY, ROUNDS, OHA, KINKO_BIN (a
# release build, built unless given), a WORK directory removed on exit with
# every process in PIDS, and the helpers below.

BENCH_DIR=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$BENCH_DIR")
DURATION=${DURATION:-10s}
CONCURRENCY=${CONCURRENCY:-32}
ROUNDS=${ROUNDS:-3}
OHA=${OHA:-$(command -v oha || echo "$HOME/.cargo/bin/oha")}
[[ -x "$OHA" ]] || { echo "oha not found (cargo install oha --locked --version 1.16.0)" >&2; exit 1; }

if [[ -z "${KINKO_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build --release --bin kinko >&2)
    KINKO_BIN="$ROOT/target/release/kinko"
fi

WORK=$(mktemp -d)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 300); do curl -s -o /dev/null "$1" && return; sleep 0.1; done; echo "$1 never answered" >&2; exit 1; }

# Starts `kinko server` as in production (durable SQLite store in WORK, not
# --dev) and points the aws CLI and `kinko` at it as its admin: sets EP,
# KINKO_PID and ADMIN (oha's `-a` credentials).
start_kinko() {
    local port
    port=$(free_port)
    KINKO_LOG=warn "$KINKO_BIN" server --listen "127.0.0.1:$port" --data-dir "$WORK/data" \
        >"$WORK/server.log" 2>&1 &
    KINKO_PID=$!
    PIDS+=("$KINKO_PID")
    EP="http://127.0.0.1:$port"
    wait_http "$EP/health"
    cred() { awk -F' = ' "/$1/ {print \$2}" "$WORK/data/credentials"; }
    export AWS_ENDPOINT_URL=$EP AWS_ACCESS_KEY_ID=$(cred aws_access_key_id)
    export AWS_SECRET_ACCESS_KEY=$(cred aws_secret_access_key) AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
    export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent
    ADMIN="$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
}
