"""What a container app does at start-up: read one JSON secret from Secrets
Manager with boto3 and export selected keys.

Usage: container_start.py SECRET_ID KEY [KEY ...]

The endpoint comes from AWS_ENDPOINT_URL and the region from AWS_REGION
(credentials from the usual AWS_* variables), exactly as an app configured
for kinko would get them. Prints one `KEY=value` line per requested key; on a
service error prints the AWS error code to stderr and exits 1.
"""

import json
import os
import sys

import boto3
from botocore.exceptions import ClientError


def main() -> int:
    secret_id, keys = sys.argv[1], sys.argv[2:]
    client = boto3.client(
        "secretsmanager",
        endpoint_url=os.environ["AWS_ENDPOINT_URL"],
        region_name=os.environ["AWS_REGION"],
    )
    try:
        response = client.get_secret_value(SecretId=secret_id)
    except ClientError as err:
        print(f"error: {err.response['Error']['Code']}", file=sys.stderr)
        return 1
    env = json.loads(response["SecretString"])
    for key in keys:
        print(f"{key}={env[key]}")
    print(f"version={response['VersionId']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
