#!/usr/bin/env bash
# What a webhook costs the writers: PutParameter throughput on one server
# with no webhook against the same server delivering every change to one
# subscribed receiver (a local HTTP server answering 200), in alternating
# A/B rounds so machine noise hits both alike; moto's PutParameter in the
# same run as the peer. Every write appends its change record in its own
# transaction either way (the change log cannot be turned off); B adds the
# deliverer reading the feed, building, signing and sending each event.
#
# Needs: oha 1.16, the aws CLI, moto (pip install 'moto[server]'), a release
# build (built unless KINKO_BIN is set).
#
#   bench/change-feed.sh
#   DURATION=20s ROUNDS=5 bench/change-feed.sh
set -euo pipefail

source "$(dirname "$0")/common.sh"
command -v moto_server >/dev/null || { echo "moto_server not found (pip install 'moto[server]')" >&2; exit 1; }

# The receiver: answers 200 to every POST and counts them.
receiver_port=$(free_port)
python3 - "$receiver_port" "$WORK/received" <<'PY' &
import http.server, sys, threading
port, out = int(sys.argv[1]), sys.argv[2]
count, lock = [0], threading.Lock()
class Hook(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200); self.send_header("content-length", "0"); self.end_headers()
        with lock:
            count[0] += 1
            open(out, "w").write(str(count[0]))
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), Hook).serve_forever()
PY
PIDS+=("$!")
RECEIVER_PID=$!

start_kinko

moto_port=$(free_port)
moto_server -p "$moto_port" >"$WORK/moto.log" 2>&1 &
PIDS+=("$!")
MOTO="http://127.0.0.1:$moto_port"
wait_http "$MOTO/moto-api/"

PUT='{"Name":"/bench/put","Value":"v","Type":"String","Overwrite":true}'
oha_put() { # OUT ENDPOINT CREDENTIALS [REQUESTS]
    local load=(-z "$DURATION" -w)
    [[ -n "${4:-}" ]] && load=(-n "$4")
    "$OHA" --no-tui --output-format json -o "$1" "${load[@]}" -c "$CONCURRENCY" -m POST \
        -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: AmazonSSM.PutParameter" \
        -d "$PUT" --aws-sigv4 "aws:amz:us-east-1:ssm" -a "$3" "$2/"
}
# Warm-up: the first write creates the managed key; caches and connections.
oha_put "$WORK/warm.json" "$EP" "$ADMIN" 2000
oha_put "$WORK/warm-moto.json" "$MOTO" "bench:bench" 500

# CPU seconds (user + system) a process has used so far.
cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14+$15)/hz}' "/proc/$1/stat"; }
measured() { # NAME ROUND ENDPOINT CREDENTIALS: the run, and the CPU kinko and the receiver spent in it
    local k0 r0
    k0=$(cpu "$KINKO_PID"); r0=$(cpu "$RECEIVER_PID")
    oha_put "$WORK/$1.$2.json" "$3" "$4"
    echo "$(cpu "$KINKO_PID") $k0 $(cpu "$RECEIVER_PID") $r0" >"$WORK/$1.$2.cpu"
}

hook_id=""
for round in $(seq "$ROUNDS"); do
    measured none "$round" "$EP" "$ADMIN"
    hook_id=$("$KINKO_BIN" webhook create --url "http://127.0.0.1:$receiver_port/hook" \
        --filter source=aws.ssm --output json | python3 -c 'import json,sys; print(json.load(sys.stdin)["Webhook"]["WebhookId"])')
    before=$(cat "$WORK/received" 2>/dev/null || echo 0)
    measured hook "$round" "$EP" "$ADMIN"
    # Events received during the load and the 2 s after it: how far the
    # deliverer kept up with the writers.
    sleep 2
    after=$(cat "$WORK/received" 2>/dev/null || echo 0)
    echo "$((after - before))" >"$WORK/delivered.$round"
    "$KINKO_BIN" webhook delete "$hook_id" >/dev/null
    oha_put "$WORK/moto.$round.json" "$MOTO" "bench:bench"
done
server_cpu=$(awk '{print ($14+$15)/100}' "/proc/$KINKO_PID/stat")

python3 - "$WORK" "$ROUNDS" "$DURATION" "$CONCURRENCY" "$server_cpu" <<'PY'
import json, statistics, sys
work, rounds, duration, concurrency, server_cpu = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def run(name, r):
    d = json.load(open(f"{work}/{name}.{r}.json"))
    codes = d.get("statusCodeDistribution", {})
    n = sum(codes.values()); ok = sum(v for k, v in codes.items() if k.startswith("2"))
    if n == 0 or ok / n < 0.99:
        sys.exit(f"{name} round {r}: only {ok}/{n} 2xx; invalid run")
    return d["summary"]["requestsPerSec"] * ok / n, d["latencyPercentiles"]["p50"] * 1000, ok
print("## Change feed cost: PutParameter, no webhook vs one webhook subscription")
print()
print(f"- command: `bench/change-feed.sh` (DURATION={duration} CONCURRENCY={concurrency} ROUNDS={rounds}), rounds alternate A/B, moto after each")
print(f"- kinko server CPU over the whole run: {server_cpu} s")
print()
def cpu(name, r):
    k1, k0, r1, r0 = map(float, open(f"{work}/{name}.{r}.cpu").read().split())
    return k1 - k0, r1 - r0
print("| round | no webhook req/s | p50 | kinko CPU s | one webhook req/s | p50 | kinko CPU s | receiver CPU s | ratio | kinko CPU ms per 1k writes A → B | events received by B's end + 2 s | moto req/s | kinko/moto (B) |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
ratios = []
for r in range(1, rounds + 1):
    (a, ap, a_writes), (b, bp, writes), (m, _, _) = run("none", r), run("hook", r), run("moto", r)
    (ka, _), (kb, rb) = cpu("none", r), cpu("hook", r)
    delivered = open(f"{work}/delivered.{r}").read().split()[0]
    ratios.append(b / a)
    per_a, per_b = ka / a_writes * 1e6, kb / writes * 1e6
    print(f"| {r} | {a:,.0f} | {ap:.2f} ms | {ka:.1f} | {b:,.0f} | {bp:.2f} ms | {kb:.1f} | {rb:.1f} | {b/a:.1%} | {per_a:.0f} → {per_b:.0f} | {delivered} of {writes} | {m:,.0f} | {b/m:.1f}× |")
print()
print(f"median ratio: {statistics.median(ratios):.1%} (target: within 10%, i.e. >= 90%)")
print("The 2 cores are shared by oha, kinko and, in B, the receiver: read the ratio next to the receiver's CPU.")
PY
