#!/usr/bin/env bash
# `kinko exec --path` with 200 parameters, start to child start, beside the
# same fetch done by a boto3 script (bench/exec/boto_exec.py) that then execs
# the same child. Both against one local kinko server, RUNS times each; the
# child prints its own clock, the harness notes the time just before spawning.
#
#   bench/exec/run.sh            (KINKO_BIN=… to skip the release build; RUNS=…)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$(dirname "$HERE")")
RUNS=${RUNS:-11}
if [[ -z "${KINKO_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build --release --bin kinko >&2)
    KINKO_BIN="$ROOT/target/release/kinko"
fi
WORK=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$WORK"' EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
KINKO_LOG=warn "$KINKO_BIN" server --listen "127.0.0.1:$PORT" --data-dir "$WORK/data" >"$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 300); do curl -sf "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.1; done
eval "$("$KINKO_BIN" env --data-dir "$WORK/data")"
export AWS_CONFIG_FILE=/nonexistent AWS_SHARED_CREDENTIALS_FILE=/nonexistent

python3 -c 'import json; print(json.dumps({f"P{i:03d}": f"value-{i}-" + "x"*40 for i in range(200)}))' >"$WORK/200.json"
"$KINKO_BIN" import --path /bench/app "$WORK/200.json" >/dev/null

CHILD='e=$(date +%s%N); echo $(( (e - START) / 1000 )) $(env | grep -c "^P[0-9]")'
measure() { # LABEL CMD... ; prints the median start-to-child time in ms
    local label=$1
    shift
    local times=()
    for _ in $(seq "$RUNS"); do
        local start out
        start=$(date +%s%N)
        out=$(START=$start "$@" sh -c "$CHILD")
        [[ ${out#* } == 200 ]] || { echo "$label: child saw ${out#* } of 200 variables" >&2; exit 1; }
        times+=("${out% *}")
    done
    printf '%s\n' "${times[@]}" | sort -n | awk -v label="$label" '{a[NR]=$1} END {printf "| %s | %.1f ms | %.1f ms | %.1f ms |\n", label, a[int((NR+1)/2)]/1000, a[1]/1000, a[NR]/1000}'
}

echo "## exec start-up, 200 parameters, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) CPUs, $RUNS runs each"
echo
echo "| start → child start | median | min | max |"
echo "|---|---:|---:|---:|"
measure "kinko exec --path /bench/app (release)" "$KINKO_BIN" exec --path /bench/app --
measure "boto3 script (bench/exec/boto_exec.py)" python3 "$HERE/boto_exec.py" /bench/app --
