#!/usr/bin/env bash
# What authorization costs: GetParameter throughput for the bootstrap admin
# (one allow-all statement) against a user holding a realistic 10-statement
# policy (wildcards, conditions on tags, source address and time, explicit
# denies), on one server, alternating A/B runs so that machine noise hits
# both alike. The audit log is on for both, as always.
#
# Needs: oha 1.16, the aws CLI, a release build (built unless KINKO_BIN is set).
#
#   bench/policy.sh
#   DURATION=20s ROUNDS=5 bench/policy.sh
set -euo pipefail

source "$(dirname "$0")/common.sh"
start_kinko

aws ssm put-parameter --name /bench/secret --type SecureString \
    --value bench-secret-value --overwrite >/dev/null

# The policy: what a payments service's role typically carries.
cat >"$WORK/policy.json" <<'JSON'
{
  "Version": "2012-10-17",
  "Statement": [
    {"Sid": "ReadProdConfig", "Effect": "Allow", "Action": ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath"],
     "Resource": "arn:aws:ssm:*:000000000000:parameter/app/prod/*"},
    {"Sid": "Describe", "Effect": "Allow", "Action": "ssm:DescribeParameters", "Resource": "*"},
    {"Sid": "TeamSecrets", "Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
     "Resource": "arn:aws:secretsmanager:*:000000000000:secret:payments/*",
     "Condition": {"StringEquals": {"aws:PrincipalTag/team": "payments"}}},
    {"Sid": "DecryptFromHere", "Effect": "Allow", "Action": "kms:Decrypt", "Resource": "arn:aws:kms:*:000000000000:key/*",
     "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
    {"Sid": "NeverDelete", "Effect": "Deny", "Action": ["ssm:DeleteParameter*", "secretsmanager:DeleteSecret"], "Resource": "*"},
    {"Sid": "NoProdWrites", "Effect": "Deny", "Action": "ssm:PutParameter", "Resource": "arn:aws:ssm:*:*:parameter/app/prod/*"},
    {"Sid": "BenchReads", "Effect": "Allow", "Action": "ssm:GetParameter", "Resource": "arn:aws:ssm:*:*:parameter/bench/*",
     "Condition": {"IpAddress": {"aws:SourceIp": "127.0.0.0/8"}, "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}},
    {"Sid": "TlsOffLoopback", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"Bool": {"aws:SecureTransport": "false"}, "NotIpAddress": {"aws:SourceIp": "127.0.0.0/8"}}},
    {"Sid": "DescribeSecrets", "Effect": "Allow", "Action": "secretsmanager:DescribeSecret",
     "Resource": "arn:aws:secretsmanager:*:000000000000:secret:payments/*"},
    {"Sid": "NoRootPasswords", "Effect": "Deny", "Action": "ssm:*", "Resource": "arn:aws:ssm:*:*:parameter/*/root-*"}
  ]
}
JSON
"$KINKO_BIN" principal create payments --tag team=payments >/dev/null
"$KINKO_BIN" policy put payments service "$WORK/policy.json"
"$KINKO_BIN" key create payments --output json >"$WORK/key.json"
POLICY=$(python3 -c 'import json,sys; k=json.load(open(sys.argv[1])); print(k["AccessKeyId"]+":"+k["SecretAccessKey"])' "$WORK/key.json")
verdict=$("$KINKO_BIN" policy simulate --principal payments --action ssm:GetParameter \
    --resource arn:aws:ssm:us-east-1:000000000000:parameter/bench/secret --context aws:SourceIp=127.0.0.1 || true)

GET='{"Name":"/bench/secret","WithDecryption":true}'
oha_json() { # OUT KEY
    "$OHA" --no-tui --output-format json -o "$1" -z "$DURATION" -w -c "$CONCURRENCY" -m POST \
        -H "Content-Type: application/x-amz-json-1.1" -H "X-Amz-Target: AmazonSSM.GetParameter" \
        -d "$GET" --aws-sigv4 "aws:amz:us-east-1:ssm" -a "$2" "$EP/"
}
# Warm-up: caches (keys, policies, signing keys) and the connection pool.
"$OHA" --no-tui -n 2000 -c "$CONCURRENCY" -m POST -H "Content-Type: application/x-amz-json-1.1" \
    -H "X-Amz-Target: AmazonSSM.GetParameter" -d "$GET" --aws-sigv4 "aws:amz:us-east-1:ssm" \
    -a "$POLICY" "$EP/" >/dev/null
for round in $(seq "$ROUNDS"); do
    oha_json "$WORK/allow-all.$round.json" "$ADMIN"
    oha_json "$WORK/policy.$round.json" "$POLICY"
done

python3 - "$WORK" "$ROUNDS" "$DURATION" "$CONCURRENCY" "$verdict" <<'PY'
import json, statistics, sys
work, rounds, duration, concurrency, verdict = sys.argv[1], int(sys.argv[2]), *sys.argv[3:]
def run(name, r):
    d = json.load(open(f"{work}/{name}.{r}.json"))
    codes = d.get("statusCodeDistribution", {})
    n = sum(codes.values()); ok = sum(v for k, v in codes.items() if k.startswith("2"))
    if n == 0 or ok / n < 0.99:
        sys.exit(f"{name} round {r}: only {ok}/{n} 2xx; invalid run")
    return d["summary"]["requestsPerSec"] * ok / n, d["latencyPercentiles"]["p50"] * 1000
print(f"## Authorization cost: GetParameter, allow-all vs a 10-statement policy")
print()
print(f"- command: `bench/policy.sh` (DURATION={duration} CONCURRENCY={concurrency} ROUNDS={rounds}), rounds alternate A/B")
print(f"- simulator on the benchmarked request: {verdict}")
print()
print("| round | allow-all req/s | p50 | 10-statement req/s | p50 | ratio |")
print("|---|---:|---:|---:|---:|---:|")
ratios = []
for r in range(1, rounds + 1):
    (a, ap), (b, bp) = run("allow-all", r), run("policy", r)
    ratios.append(b / a)
    print(f"| {r} | {a:,.0f} | {ap:.2f} ms | {b:,.0f} | {bp:.2f} ms | {b/a:.1%} |")
print()
print(f"median ratio: {statistics.median(ratios):.1%} (target: within 10%, i.e. >= 90%)")
PY
