#!/usr/bin/env python3
"""Check oha results and render the benchmark's markdown report.

  report.py check OHA_JSON LABEL MIN_2XX_SHARE
      Print one summary line for a run; exit 1 if it is invalid: fewer than
      MIN_2XX_SHARE of the responses were 2xx, or connection errors happened.
      oha's own "successRate" only counts transport errors, so a server that
      answers every request with a 403 would look perfect there: we count
      statuses ourselves.

  report.py render RESULTS_DIR
      Print the markdown report from the files run.sh left in RESULTS_DIR:
      <server>.spawn.json, <server>.<Op>.json (oha), <server>.walk.json,
      <server>.<Op>.cpu.json (cpuload.py), <server>.peak_rss_kb, and the run settings in the environment
      (BENCH_COMMAND, DURATION, CONCURRENCY, OHA_VERSION, KINKO_BIN, KINKO_ARGS, MOTO_VERSION,
      LOADAVG, LOADAVG_END).
"""

import json
import os
import platform
import subprocess
import sys
from datetime import datetime, timezone

SERVERS = ["kinko", "moto"]
OPS = [
    ("GetParameter", "GetParameter, SecureString, WithDecryption"),
    ("GetParametersByPath", "GetParametersByPath, first page (10 of 1,000), WithDecryption"),
    ("PutParameter", "PutParameter, String, Overwrite, one name"),
    ("PutParameterDistinct", "PutParameter, String, Overwrite, 1,000 names at random (supplementary)"),
    ("GetSecretValue", "Secrets Manager GetSecretValue, JSON secret, AWSCURRENT"),
]

# The targets, checked on every run.
TARGET_GET_RPS = 15_000
TARGET_GET_RATIO = 20.0
TARGET_PUT_RPS = 1_000
TARGET_SECRET_RPS = 15_000
TARGET_SECRET_RATIO = 20.0
TARGET_IDLE_RSS_MIB = 30.0
TARGET_READY_MS = 200.0


def counts(result):
    """(total responses, 2xx responses, transport errors other than the deadline's aborts)."""
    statuses = result.get("statusCodeDistribution", {})
    total = sum(statuses.values())
    ok = sum(n for code, n in statuses.items() if code.startswith("2"))
    errors = sum(n for kind, n in result.get("errorDistribution", {}).items() if "deadline" not in kind)
    return total, ok, errors


def summary(result):
    """Throughput of 2xx responses, p50, p99 (ms) and the 2xx share of one oha run."""
    total, ok, _ = counts(result)
    seconds = result["summary"]["total"]
    latency = result["metrics"]["latency_ms"]
    return {
        "rps": ok / seconds if seconds > 0 else 0.0,
        "p50": latency["p50"],
        "p99": latency["p99"],
        "share": ok / total if total else 0.0,
        "total": total,
    }


def check(path, label, min_share):
    with open(path) as f:
        result = json.load(f)
    total, ok, errors = counts(result)
    statuses = result.get("statusCodeDistribution", {})
    share = ok / total if total else 0.0
    s = summary(result)
    print(
        f"{label}: {s['rps']:,.0f} req/s (2xx), p50 {s['p50']:.2f} ms, p99 {s['p99']:.2f} ms, "
        f"{total} responses, 2xx share {share:.2%}, statuses {statuses}, errors {result.get('errorDistribution', {})}"
    )
    if total == 0 or share < min_share or errors > 0:
        print(
            f"INVALID RUN {label}: 2xx share {share:.2%} (need {min_share:.0%}), {errors} transport errors",
            file=sys.stderr,
        )
        sys.exit(1)


def load(directory, name):
    path = os.path.join(directory, name)
    if not os.path.exists(path):
        return None
    with open(path) as f:
        text = f.read().strip()
    return json.loads(text) if name.endswith(".json") else text


def ms(value):
    return f"{value:.2f} ms" if value < 10 else f"{value:.1f} ms"


def mib(kb):
    return kb / 1024.0


def machine():
    def run(*command):
        try:
            return subprocess.run(command, capture_output=True, text=True, check=True).stdout.rstrip()
        except (OSError, subprocess.CalledProcessError):
            return "unavailable"

    cpu = "unknown"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "nproc": run("nproc"),
        "cpu": cpu,
        "free": run("free", "-h"),
        "kernel": f"{platform.system()} {platform.release()}",
    }


def render(directory):
    env = os.environ
    m = machine()
    data = {s: {op: load(directory, f"{s}.{op}.json") for op, _ in OPS} for s in SERVERS}
    spawn = {s: load(directory, f"{s}.spawn.json") for s in SERVERS}
    walk = {s: load(directory, f"{s}.walk.json") for s in SERVERS}
    peak = {s: load(directory, f"{s}.peak_rss_kb") for s in SERVERS}
    out = []
    w = out.append

    w(f"## Run of {datetime.now(timezone.utc).strftime('%Y-%m-%d %H:%M UTC')}")
    w("")
    w(f"- command: `{env.get('BENCH_COMMAND', 'bench/run.sh')}`")
    w(
        f"- load: oha {env.get('OHA_VERSION', '?')}, `-c {env.get('CONCURRENCY', '?')} -z {env.get('DURATION', '?')} -w`, "
        "SigV4-signed POSTs, on the same machine as the servers; servers measured one after the other"
    )
    if env.get("KINKO_BIN"):
        args = f" {env['KINKO_ARGS']}" if env.get("KINKO_ARGS") else ""
        w(f"- kinko: `{env['KINKO_BIN']} server{args}` (durable SQLite data dir, not `--dev`)")
    if spawn["moto"]:
        w(f"- moto: `moto_server` {env.get('MOTO_VERSION', '?')}")
    w(f"- machine: {m['nproc']} CPUs ({m['cpu']}), {m['kernel']}")
    w(f"- load average (1, 5, 15 min) just before the load runs: {env.get('LOADAVG', '?')}, just after: {env.get('LOADAVG_END', '?')}")
    w("")
    w("```")
    w(m["free"])
    w("```")
    w("")
    w("| op | kinko req/s | p50 | p99 | moto req/s | p50 | p99 | ratio |")
    w("|---|---:|---:|---:|---:|---:|---:|---:|")
    summaries = {s: {op: summary(r) if r else None for op, r in data[s].items()} for s in SERVERS}
    for op, title in OPS:
        cells = [title]
        for s in SERVERS:
            r = summaries[s][op]
            cells += [f"{r['rps']:,.0f}", ms(r["p50"]), ms(r["p99"])] if r else ["–", "–", "–"]
        k, mo = summaries["kinko"][op], summaries["moto"][op]
        cells.append(f"{k['rps'] / mo['rps']:.1f}×" if k and mo and mo["rps"] > 0 else "–")
        w("| " + " | ".join(cells) + " |")
    w("")
    w("req/s counts 2xx responses only; p50/p99 are over all responses. Ratio = kinko req/s ÷ moto req/s.")
    w("")
    w("| whole operation | kinko median | kinko min–max | moto median | moto min–max | moto ÷ kinko |")
    w("|---|---:|---:|---:|---:|---:|")
    cells = ["GetParametersByPath walk of 1,000 parameters, boto3 paginator, pages of 10"]
    for s in SERVERS:
        r = walk[s]
        cells += [ms(r["median_ms"]), f"{ms(r['min_ms'])} – {ms(r['max_ms'])}"] if r else ["–", "–"]
    if walk["kinko"] and walk["moto"]:
        cells.append(f"{walk['moto']['median_ms'] / walk['kinko']['median_ms']:.1f}×")
    else:
        cells.append("–")
    w("| " + " | ".join(cells) + " |")
    runs = next((walk[s]["runs"] for s in SERVERS if walk[s]), "?")
    w("")
    w(f"Median of {runs} walks after one warm-up walk, one client, sequential pages.")
    w("")
    w("| start-up and memory | kinko | moto |")
    w("|---|---:|---:|")
    w(
        "| ready: spawn → first 200 | "
        + " | ".join(ms(spawn[s]["ready_ms"]) if spawn[s] else "–" for s in SERVERS)
        + " |"
    )
    w(
        "| idle RSS (VmRSS, 1 s after ready) | "
        + " | ".join(f"{mib(spawn[s]['idle_rss_kb']):.1f} MiB" if spawn[s] else "–" for s in SERVERS)
        + " |"
    )
    w(
        "| peak RSS after the run (VmHWM) | "
        + " | ".join(f"{mib(int(peak[s])):.1f} MiB" if peak[s] else "–" for s in SERVERS)
        + " |"
    )
    w("")
    w("| run | responses | 2xx share | server CPU | oha CPU | other processes' CPU |")
    w("|---|---:|---:|---:|---:|---:|")
    for s in SERVERS:
        for op, _ in OPS:
            r = summaries[s][op]
            if not r:
                continue
            cpu = load(directory, f"{s}.{op}.cpu.json")
            if cpu and cpu["wall_s"] > 0:
                cores = [f"{cpu[key] / cpu['wall_s']:.2f} cores" for key in ("server_s", "loadgen_s", "other_s")]
            else:
                cores = ["–", "–", "–"]
            w(f"| {s} {op} | {r['total']:,} | {r['share']:.2%} | " + " | ".join(cores) + " |")
    w("")
    w(
        "CPU columns: average cores used during the measured run, from /proc (the server process, "
        "oha, and everything else on the machine); of 2 cores, what \"other\" takes the server and oha did not get."
    )
    w("")

    k = summaries["kinko"]
    if k["GetParameter"] and spawn["kinko"]:
        get = k["GetParameter"]["rps"]
        moto_get = summaries["moto"]["GetParameter"]
        ratio = get / moto_get["rps"] if moto_get and moto_get["rps"] > 0 else None
        put = k["PutParameter"]["rps"] if k["PutParameter"] else None
        rss = mib(spawn["kinko"]["idle_rss_kb"])
        ready = spawn["kinko"]["ready_ms"]

        def met(ok):
            return "met" if ok else "**MISSED**"

        w("| target | measured | |")
        w("|---|---:|---|")
        w(f"| GetParameter ≥ {TARGET_GET_RPS:,} req/s | {get:,.0f} req/s | {met(get >= TARGET_GET_RPS)} |")
        if ratio is not None:
            w(f"| GetParameter ≥ {TARGET_GET_RATIO:.0f}× moto | {ratio:.1f}× | {met(ratio >= TARGET_GET_RATIO)} |")
        if put is not None:
            w(f"| PutParameter ≥ {TARGET_PUT_RPS:,} durable writes/s | {put:,.0f} writes/s | {met(put >= TARGET_PUT_RPS)} |")
        secret = k.get("GetSecretValue")
        if secret:
            w(f"| GetSecretValue ≥ {TARGET_SECRET_RPS:,} req/s | {secret['rps']:,.0f} req/s | {met(secret['rps'] >= TARGET_SECRET_RPS)} |")
            moto_secret = summaries["moto"].get("GetSecretValue")
            if moto_secret and moto_secret["rps"] > 0:
                r = secret["rps"] / moto_secret["rps"]
                w(f"| GetSecretValue ≥ {TARGET_SECRET_RATIO:.0f}× moto | {r:.1f}× | {met(r >= TARGET_SECRET_RATIO)} |")
        w(f"| idle RSS ≤ {TARGET_IDLE_RSS_MIB:.0f} MB | {rss:.1f} MiB | {met(rss <= TARGET_IDLE_RSS_MIB)} |")
        w(f"| ready ≤ {TARGET_READY_MS:.0f} ms after start | {ms(ready)} | {met(ready <= TARGET_READY_MS)} |")
        w("")
    print("\n".join(out))


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "check":
        check(sys.argv[2], sys.argv[3], float(sys.argv[4]))
    elif len(sys.argv) == 3 and sys.argv[1] == "render":
        render(sys.argv[2])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
