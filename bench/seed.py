#!/usr/bin/env python3
"""Seed one SSM endpoint with the benchmark's data set, identically for every server.

Writes one SecureString `/bench/secret` and COUNT String parameters under
`/bench/path/`, then reads the secret back (decrypted) and counts the path, so a
benchmark never runs against a half-seeded or silently wrong server.

The writes go through a thread pool because a sequential loop of 1,000 signed
round trips against moto takes long enough to dominate the whole run.

Usage: seed.py ENDPOINT ACCESS_KEY SECRET_KEY REGION [COUNT]
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
from botocore.config import Config

SECRET_NAME = "/bench/secret"
SECRET_VALUE = "bench-secret-value-0123456789abcdef"
PATH = "/bench/path"
APP_SECRET_NAME = "bench/app"
APP_SECRET_VALUE = '{"DB_USER":"app","DB_PASSWORD":"bench-password-0123456789"}'
THREADS = 16


def client(endpoint, access_key, secret_key, region):
    """One client shared by the pool: botocore clients are thread-safe."""
    return boto3.session.Session().client(
        "ssm",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
        config=Config(
            max_pool_connections=THREADS,
            retries={"max_attempts": 5, "mode": "standard"},
        ),
    )


def parameter_name(i):
    return f"{PATH}/p{i:04d}"


def main():
    if len(sys.argv) not in (5, 6):
        sys.exit(__doc__)
    endpoint, access_key, secret_key, region = sys.argv[1:5]
    count = int(sys.argv[5]) if len(sys.argv) == 6 else 1000
    ssm = client(endpoint, access_key, secret_key, region)
    started = time.monotonic()

    ssm.put_parameter(Name=SECRET_NAME, Value=SECRET_VALUE, Type="SecureString", Overwrite=True)

    def put(i):
        ssm.put_parameter(Name=parameter_name(i), Value=f"value-{i}", Type="String", Overwrite=True)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        # list() re-raises the first failed put instead of dropping it.
        list(pool.map(put, range(count)))

    # The Secrets Manager run reads one JSON secret, as a container does at start-up.
    sm = boto3.session.Session().client(
        "secretsmanager",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name=region,
    )
    sm.create_secret(Name=APP_SECRET_NAME, SecretString=APP_SECRET_VALUE)
    if sm.get_secret_value(SecretId=APP_SECRET_NAME)["SecretString"] != APP_SECRET_VALUE:
        sys.exit(f"seed check failed: secret {APP_SECRET_NAME} read back with a different value")

    got = ssm.get_parameter(Name=SECRET_NAME, WithDecryption=True)["Parameter"]
    if got["Value"] != SECRET_VALUE or got["Type"] != "SecureString":
        sys.exit(f"seed check failed: {SECRET_NAME} read back as type {got['Type']} with a different value")

    seen = 0
    for page in ssm.get_paginator("get_parameters_by_path").paginate(
        Path=PATH, Recursive=True, PaginationConfig={"PageSize": 10}
    ):
        seen += len(page["Parameters"])
    if seen != count:
        sys.exit(f"seed check failed: {PATH} holds {seen} parameters, expected {count}")

    print(f"seeded {endpoint}: 1 SecureString + {count} String in {time.monotonic() - started:.1f} s")


if __name__ == "__main__":
    main()
