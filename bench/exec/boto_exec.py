#!/usr/bin/env python3
"""What a hand-written start-up script does: load every parameter under a path
with boto3 into the environment, then exec the command.

Usage: boto_exec.py PATH -- CMD ARGS...
"""
import os
import sys

import boto3

path, cmd = sys.argv[1], sys.argv[3:]
env = dict(os.environ)
ssm = boto3.client("ssm")
for page in ssm.get_paginator("get_parameters_by_path").paginate(
    Path=path, Recursive=True, WithDecryption=True
):
    for p in page["Parameters"]:
        env[p["Name"][len(path):].strip("/").replace("/", "_").replace("-", "_").upper()] = p["Value"]
os.execvpe(cmd[0], cmd, env)
