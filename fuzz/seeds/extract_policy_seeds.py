#!/usr/bin/env python3
"""Seeds for iam_policy: every policy document written out in kinko-core's
IAM tests (raw strings that parse as JSON objects with a Statement), each
as one seed, and the first few also with a request section.

Run from this directory:  python3 extract_policy_seeds.py
"""
import hashlib
import json
import os
import re

SOURCES = [
    "../../crates/kinko-core/src/iam/tests.rs",
    "../../crates/kinko-core/src/iam/policy.rs",
    "../../crates/kinko-core/src/iam/condition.rs",
    "../../crates/kinko-core/src/secrets/policy.rs",
    "../../crates/kinko-core/src/principals/mod.rs",
]
REQUEST = """
----
action: ssm:GetParameter
resource: arn:aws:ssm:us-east-1:123456789012:parameter/app/db
principal: arn:aws:iam::123456789012:user/alice
username: alice
tag: team=payments
resource-tag: env=prod
ip: 10.1.2.3
time: 2024-05-01T12:00:00Z
secure: true
"""

os.makedirs("iam_policy", exist_ok=True)
seen = set()
for source in SOURCES:
    text = open(source).read()
    for raw in re.findall(r'r#"(\{.*?\})"#', text, re.S):
        try:
            doc = json.loads(raw)
        except ValueError:
            continue
        if not isinstance(doc, dict) or "Statement" not in doc:
            continue
        compact = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
        if compact in seen:
            continue
        seen.add(compact)
        digest = hashlib.sha1(compact.encode()).hexdigest()[:10]
        with open(f"iam_policy/test-{digest}", "w") as f:
            f.write(compact)
            if len(seen) % 3 == 0:
                f.write(REQUEST)
print(len(seen), "policies")
