#!/usr/bin/env python3
"""Start a server in the background and measure its ready time and idle memory.

Ready time is measured from just before the process is spawned to the first
HTTP 200 from READY_URL, polling every millisecond, so it includes everything a
supervisor would wait for (exec, key and store opening, bind). The server keeps
running after this script exits (it is not waited on); run.sh stops it by pid.

Idle RSS is VmRSS from /proc/PID/status, read SETTLE seconds after the first
200 and before any load.

Prints one JSON object: {"pid", "ready_ms", "idle_rss_kb"}.

Usage: spawn.py LOG_FILE READY_URL TIMEOUT_S -- COMMAND [ARGS...]
"""

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

SETTLE_S = 1.0


def vm_rss_kb(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


def main():
    if len(sys.argv) < 6 or sys.argv[4] != "--":
        sys.exit(__doc__)
    log_file, ready_url, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    command = sys.argv[5:]

    log = open(log_file, "wb")
    started = time.perf_counter()
    # A session of its own, so the Ctrl-C of the shell running the benchmark
    # does not race run.sh's own cleanup of the server.
    process = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    # No proxy: an http_proxy in the environment must not answer for the server.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    ready_ms = None
    while time.perf_counter() - started < timeout_s:
        if process.poll() is not None:
            sys.exit(f"{command[0]} exited with status {process.returncode} before it was ready; see {log_file}")
        try:
            with opener.open(ready_url, timeout=1) as response:
                if response.status == 200:
                    ready_ms = (time.perf_counter() - started) * 1000.0
                    break
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.001)
    if ready_ms is None:
        process.kill()
        sys.exit(f"{command[0]} not ready at {ready_url} after {timeout_s} s; see {log_file}")

    time.sleep(SETTLE_S)
    print(json.dumps({"pid": process.pid, "ready_ms": round(ready_ms, 1), "idle_rss_kb": vm_rss_kb(process.pid)}))


if __name__ == "__main__":
    main()
