#!/usr/bin/env python3
"""Seeds for the service targets from kinko-aws's own tests: every test
function's calls (operation, JSON body), in order, as one seed file of
`Operation {json}` lines, so a seed starts from a session that makes
sense (create, then label, then read...). Bodies written with `json!` are
taken when they are plain JSON.

Run from this directory:  python3 extract_service_seeds.py
"""
import json
import os
import re

SOURCES = {
    "ssm_json": "../../crates/kinko-aws/src/ssm/tests.rs",
    "secretsmanager_json": "../../crates/kinko-aws/src/secretsmanager/tests.rs",
    "kms_json": "../../crates/kinko-aws/src/kms/tests.rs",
}
CONSTANTS = {
    "TOKEN1": "11111111-1111-4111-8111-111111111111",
    "TOKEN2": "22222222-2222-4222-8222-222222222222",
}
CALL = re.compile(
    r'"([A-Z][A-Za-z]+)",\s*(?:&)?(?:r#"(\{.*?\})"#|json!\((\{.*?\})\)(?:\.to_string\(\))?)', re.S
)
MAX_CALLS = 12


def body(raw, macro):
    if raw:
        text = raw
    else:
        text = macro
        for name, value in CONSTANTS.items():
            text = re.sub(rf"\b{name}\b", json.dumps(value), text)
    try:
        return json.dumps(json.loads(text), separators=(",", ":"), ensure_ascii=False)
    except ValueError:
        return None


for target, source in SOURCES.items():
    os.makedirs(target, exist_ok=True)
    text = open(source).read()
    tests = re.split(r"\n(?:#\[tokio::test\]\n)?async fn ", text)[1:]
    written = 0
    for test in tests:
        name = test.split("(", 1)[0]
        calls = []
        for op, raw, macro in CALL.findall(test):
            b = body(raw, macro)
            if b is not None:
                calls.append(f"{op} {b}")
        if not calls:
            continue
        with open(os.path.join(target, f"test-{name}"), "w") as f:
            f.write("\n".join(calls[:MAX_CALLS]) + "\n")
        written += 1
    print(target, written, "seeds")
