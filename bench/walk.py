#!/usr/bin/env python3
"""Time a full GetParametersByPath walk (1,000 parameters, 100 pages of 10) with boto3's paginator.

This is the whole operation a client sees when it loads a stage's configuration:
100 sequential signed round trips, so it measures per-request latency end to end
(boto3's own signing and parsing included, identical for both servers).

Prints one JSON object: {"runs": N, "pages": P, "parameters": C, "min_ms", "median_ms", "max_ms"}.
Exits non-zero if a walk does not return exactly EXPECTED parameters.

Usage: walk.py ENDPOINT ACCESS_KEY SECRET_KEY REGION [RUNS] [EXPECTED]
"""

import json
import statistics
import sys
import time

import boto3

PATH = "/bench/path"


def walk(ssm):
    """One full walk; returns (pages, parameters, seconds)."""
    pages = 0
    parameters = 0
    started = time.perf_counter()
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=PATH, Recursive=True, WithDecryption=True, PaginationConfig={"PageSize": 10}
    ):
        pages += 1
        parameters += len(page["Parameters"])
    return pages, parameters, time.perf_counter() - started


def main():
    if len(sys.argv) not in (5, 6, 7):
        sys.exit(__doc__)
    endpoint, access_key, secret_key, region = sys.argv[1:5]
    runs = int(sys.argv[5]) if len(sys.argv) >= 6 else 5
    expected = int(sys.argv[6]) if len(sys.argv) == 7 else 1000
    ssm = boto3.session.Session().client(
        "ssm",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
    )
    walk(ssm)  # warm-up: connection set-up and botocore's lazy model loading
    times = []
    pages = 0
    for _ in range(runs):
        pages, parameters, seconds = walk(ssm)
        if parameters != expected:
            sys.exit(f"walk of {PATH} returned {parameters} parameters, expected {expected}")
        times.append(seconds * 1000.0)
    print(
        json.dumps(
            {
                "runs": runs,
                "pages": pages,
                "parameters": expected,
                "min_ms": round(min(times), 1),
                "median_ms": round(statistics.median(times), 1),
                "max_ms": round(max(times), 1),
            }
        )
    )


if __name__ == "__main__":
    main()
