#!/usr/bin/env python3
"""README's table of operations: every operation of the four AWS services
kinko speaks, served or not, with the reason for each one not served.

The operations come from botocore's service models (installed with the aws
CLI); "served" is read from kinko's dispatch tables (a `"Name" =>` arm in
crates/kinko-aws/src/<service>/handle*.rs or sts.rs). So the table cannot
claim an operation kinko does not dispatch, nor miss one it does.

    scripts/operations.py           rewrite README.md's table
    scripts/operations.py --check   fail if README.md's table is stale (CI)

Both also check README.md's list of the operations the Serverless Framework
and Terraform call (between the tool-operations markers): a row marked
`yes` must name only served operations; any other row says `no: why` (an
operation can be dispatched and still not do what the tool needs).
"""

import glob
import gzip
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BEGIN = "<!-- operations:begin (scripts/operations.py writes this) -->"
END = "<!-- operations:end -->"
TOOLS_BEGIN = "<!-- tool-operations:begin (scripts/operations.py --check reads this) -->"
TOOLS_END = "<!-- tool-operations:end -->"

SERVICES = [
    # (title, botocore name, kinko source globs)
    ("Parameter Store (SSM)", "ssm", ["crates/kinko-aws/src/ssm/**/*.rs"]),
    ("Secrets Manager", "secretsmanager", ["crates/kinko-aws/src/secretsmanager/**/*.rs"]),
    ("KMS", "kms", ["crates/kinko-aws/src/kms/**/*.rs"]),
    ("STS", "sts", ["crates/kinko-aws/src/sts.rs", "crates/kinko-aws/src/sts/**/*.rs"]),
]

# Why an operation is not served. SSM's operations outside Parameter Store
# are grouped by the Systems Manager capability they belong to.
SSM_GROUPS = [
    ("ServiceSetting", "service settings (Parameter Store throughput and default tier): kinko has one throughput and no tiers to switch"),
    ("Association", "State Manager: configures EC2/on-premises nodes, not Parameter Store"),
    ("Automation", "Automation runbooks: run against AWS resources, not Parameter Store"),
    ("Runbook", "Automation runbooks: run against AWS resources, not Parameter Store"),
    ("Command", "Run Command: runs commands on managed nodes, not Parameter Store"),
    ("Patch", "Patch Manager: patches managed nodes, not Parameter Store"),
    ("Baseline", "Patch Manager: patches managed nodes, not Parameter Store"),
    ("MaintenanceWindow", "Maintenance Windows: schedules node tasks, not Parameter Store"),
    ("Ops", "OpsCenter / Explorer: operational work items, not Parameter Store"),
    ("Inventory", "Inventory: node software inventory, not Parameter Store"),
    ("Document", "SSM documents: runbook definitions, not Parameter Store"),
    ("Session", "Session Manager: shell access to nodes, not Parameter Store"),
    ("Activation", "hybrid activations of managed nodes, not Parameter Store"),
    ("Instance", "managed nodes (fleet), not Parameter Store"),
    ("Node", "managed nodes (fleet), not Parameter Store"),
    ("ResourceDataSync", "resource data sync to S3, not Parameter Store"),
    ("Compliance", "Compliance of managed nodes, not Parameter Store"),
    ("ResourcePolic", "Systems Manager resource policies (OpsItemGroup, parameter sharing via RAM): kinko has one account"),
    ("AccessRequest", "Just-in-time node access requests, not Parameter Store"),
    ("AccessToken", "Just-in-time node access, not Parameter Store"),
    ("Calendar", "Change Calendar, not Parameter Store"),
    ("Connection", "Session Manager connection status, not Parameter Store"),
    ("Execution", "Automation / Change Manager executions, not Parameter Store"),
    ("Effective", "Patch Manager, not Parameter Store"),
    ("Manifest", "Quick Setup configuration manifests, not Parameter Store"),
    ("ExecutionPreview", "Automation previews, not Parameter Store"),
]

REASONS = {
    "secretsmanager": {
        "ValidateResourcePolicy": "Access Analyzer's policy checks (public access, cross-account) have no counterpart in one-account kinko; a policy that does not parse is refused by PutResourcePolicy",
    },
    "kms": {
        "ConnectCustomKeyStore": "custom key stores (CloudHSM, external key stores) are AWS hardware kinko does not have",
        "CreateCustomKeyStore": "custom key stores: see ConnectCustomKeyStore",
        "DeleteCustomKeyStore": "custom key stores: see ConnectCustomKeyStore",
        "DescribeCustomKeyStores": "custom key stores: see ConnectCustomKeyStore",
        "DisconnectCustomKeyStore": "custom key stores: see ConnectCustomKeyStore",
        "UpdateCustomKeyStore": "custom key stores: see ConnectCustomKeyStore",
    },
    "sts": {
        "AssumeRoleWithSAML": "needs a SAML identity provider; kinko federates with OIDC (AssumeRoleWithWebIdentity) only, for now",
        "AssumeRoot": "privileged tasks on member accounts of an AWS Organization; kinko has one account",
        "DecodeAuthorizationMessage": "kinko's AccessDenied messages are not encoded: they already say the action and resource",
        "GetAccessKeyInfo": "kinko has one account, so the answer would always be it; not served yet",
        "GetDelegatedAccessToken": "AWS sign-in delegation; no counterpart in kinko",
        "GetWebIdentityToken": "AWS issuing OIDC tokens for outbound federation; no counterpart in kinko",
    },
}


def botocore_models():
    import botocore  # the aws CLI's own

    return os.path.join(os.path.dirname(botocore.__file__), "data")


def operations(service):
    versions = sorted(glob.glob(os.path.join(botocore_models(), service, "*", "service-2.json*")))
    path = versions[-1]
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        return sorted(json.load(f)["operations"])


def served(globs, names):
    text = ""
    for pattern in globs:
        for path in glob.glob(os.path.join(ROOT, pattern), recursive=True):
            with open(path) as f:
                text += f.read()
    arms = set(re.findall(r'"([A-Z][A-Za-z0-9]+)"\s*(?:\|[^=]*)?=>', text))
    # An action routed before the dispatch table (STS's unsigned
    # AssumeRoleWithWebIdentity): `action(body).as_deref() == Some("Name")`.
    arms.update(re.findall(r'== Some\("([A-Z][A-Za-z0-9]+)"\)', text))
    # `"A" | "B" =>` arms name several operations.
    for alternatives in re.findall(r'((?:"[A-Z][A-Za-z0-9]+"\s*\|\s*)+"[A-Z][A-Za-z0-9]+")\s*=>', text):
        arms.update(re.findall(r'"([A-Za-z0-9]+)"', alternatives))
    return {n for n in names if n in arms}


def ssm_reason(name):
    for key, reason in SSM_GROUPS:
        if key in name:
            return reason
    return "not part of Parameter Store"


def table():
    out = []
    for title, service, globs in SERVICES:
        names = operations(service)
        yes = served(globs, names)
        out.append(f"#### {title}: {len(yes)} of {len(names)} operations served\n")
        out.append("| operation | served | why not |")
        out.append("|---|---|---|")
        if service == "ssm":
            # Parameter Store's own operations one per row; the rest of
            # Systems Manager grouped by capability.
            for n in names:
                if n in yes:
                    out.append(f"| `{n}` | yes | |")
            groups = {}
            for n in names:
                if n not in yes:
                    groups.setdefault(ssm_reason(n), []).append(n)
            for reason, ops in sorted(groups.items()):
                listed = ", ".join(f"`{o}`" for o in ops)
                out.append(f"| {listed} | no | {reason} |")
        else:
            for n in names:
                if n in yes:
                    out.append(f"| `{n}` | yes | |")
                else:
                    reason = REASONS.get(service, {}).get(n, "not served yet")
                    out.append(f"| `{n}` | no | {reason} |")
        out.append("")
    return "\n".join(out)


def check(written):
    """Fails when README.md says an operation is served that kinko does not
    dispatch, or the reverse. Operations a newer botocore added since the
    table was written are not a failure (CI may install another aws CLI)."""
    claims = {}
    title = None
    for row in written.splitlines():
        if row.startswith("#### "):
            title = row[5:].split(":")[0]
            continue
        cells = [c.strip() for c in row.strip("|").split("|")]
        if title and len(cells) == 3 and cells[1] in ("yes", "no"):
            for name in re.findall(r"`([A-Za-z0-9]+)`", cells[0]):
                claims.setdefault(title, {})[name] = cells[1] == "yes"
    wrong = []
    for title, service, globs in SERVICES:
        claimed = claims.get(title, {})
        names = operations(service)
        yes = served(globs, names)
        for n in names:
            if n in claimed and claimed[n] != (n in yes):
                wrong.append(f"{service} {n}: README says {'yes' if claimed[n] else 'no'}")
            elif n not in claimed and n in yes:
                wrong.append(f"{service} {n}: served but missing from README")
    if wrong:
        sys.exit("README.md's operations table is stale (run scripts/operations.py):\n  " + "\n  ".join(wrong))


def check_tools(readme):
    """Fails when a row of the tools' operation list claims `yes` for an
    operation kinko does not dispatch, or says neither `yes` nor `no: why`."""
    if TOOLS_BEGIN not in readme or TOOLS_END not in readme:
        sys.exit("README.md lacks the tools' operation list (" + TOOLS_BEGIN + ")")
    block = readme[readme.index(TOOLS_BEGIN) : readme.index(TOOLS_END)]
    served_by = {}
    for _title, service, globs in SERVICES:
        served_by[service] = served(globs, operations(service))
    wrong = []
    rows = 0
    for row in block.splitlines():
        cells = [c.strip() for c in row.strip().strip("|").split("|")]
        if len(cells) != 4 or cells[0] in ("caller", "---"):
            continue
        rows += 1
        named = re.findall(r"`(ssm|secretsmanager|kms|sts):([A-Za-z]+)`", cells[2])
        if not named:
            wrong.append(f"{cells[0]} ({cells[1]}): names no operation")
            continue
        missing = [f"{s}:{op}" for s, op in named if op not in served_by[s]]
        if cells[3] == "yes" and missing:
            wrong.append(f"{cells[0]} ({cells[1]}): says yes, but not served: {', '.join(missing)}")
        elif cells[3] != "yes" and not cells[3].startswith("no: "):
            wrong.append(f"{cells[0]} ({cells[1]}): says {cells[3]!r}, not `yes` or `no: why`")
    if not rows:
        wrong.append("the list has no rows")
    if wrong:
        sys.exit("README.md's list of the tools' operations is wrong:\n  " + "\n  ".join(wrong))


def main():
    readme_path = os.path.join(ROOT, "README.md")
    with open(readme_path) as f:
        readme = f.read()
    start, end = readme.index(BEGIN), readme.index(END)
    new = readme[: start + len(BEGIN)] + "\n" + table() + "\n" + readme[end:]
    check_tools(readme)
    if "--check" in sys.argv:
        check(readme[start:end])
        return
    with open(readme_path, "w") as f:
        f.write(new)


if __name__ == "__main__":
    main()
