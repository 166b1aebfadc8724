#!/usr/bin/env python3
"""Run a load generator and account for where the machine's CPU went meanwhile.

The benchmark shares a 2-core machine with other work (builds, other
engineers' tests). A throughput number means little without knowing how much
CPU the server actually got, so around the command this records:

- the machine's busy CPU time (all cores, from /proc/stat),
- the server's CPU time (utime + stime of SERVER_PID from /proc/PID/stat),
- the command's own CPU time (its rusage, from wait4),

and the remainder: CPU used by everything else during the run.

Prints one JSON object to OUTPUT: {"wall_s", "cores", "busy_s", "server_s",
"loadgen_s", "other_s"}; exits with the command's status.

Usage: cpuload.py OUTPUT SERVER_PID -- COMMAND [ARGS...]
"""

import json
import os
import subprocess
import sys
import time

TICKS = os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal (guest is inside user)
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICKS


def process_cpu_s(pid):
    with open(f"/proc/{pid}/stat") as stat:
        # The command name may hold spaces; the fields after its ')' are fixed.
        fields = stat.read().rsplit(")", 1)[1].split()
    utime, stime = int(fields[11]), int(fields[12])
    return (utime + stime) / TICKS


def main():
    if len(sys.argv) < 5 or sys.argv[3] != "--":
        sys.exit(__doc__)
    output, server_pid = sys.argv[1], int(sys.argv[2])
    command = sys.argv[4:]

    busy_before = machine_busy_s()
    server_before = process_cpu_s(server_pid)
    started = time.perf_counter()
    child = subprocess.Popen(command)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)  # reaped here, not by Popen
    wall = time.perf_counter() - started
    busy = machine_busy_s() - busy_before
    server = process_cpu_s(server_pid) - server_before
    loadgen = usage.ru_utime + usage.ru_stime

    with open(output, "w") as out:
        json.dump(
            {
                "wall_s": round(wall, 2),
                "cores": os.cpu_count(),
                "busy_s": round(busy, 2),
                "server_s": round(server, 2),
                "loadgen_s": round(loadgen, 2),
                "other_s": round(max(busy - server - loadgen, 0.0), 2),
            },
            out,
        )
    sys.exit(child.returncode)


if __name__ == "__main__":
    main()
