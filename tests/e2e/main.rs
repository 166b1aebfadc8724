//! End-to-end tests: kinko driven by the official AWS SDK for Rust and the
//! aws CLI, as a user would. One test binary, so the SDK links once.
//!
//! Two ways to reach a server (both in `support`):
//! - `support::in_process().await`: `kinko_server::Server::open` in this
//!   process (a real admin key, deny by default, the audit log on), the SDK
//!   talking to its router through kinko-testkit's connector, no socket.
//!   Used wherever a test needs only the AWS APIs: it is fast.
//! - `support::server()` / `support::dev_server()`: a real `kinko server`
//!   process on a free loopback port. Used wherever the test needs what only
//!   a process has: the aws CLI, the socket and its limits, TLS, restarts,
//!   signals, logs, files on disk, several servers on one store.
//!
//! Table of contents (one module per area; each file's first lines say more):
//!
//! | module            | what a user does                                                     | server     |
//! |-------------------|----------------------------------------------------------------------|------------|
//! | `ssm`             | Parameter Store: every operation, per topic under `ssm/`             | in-process |
//! | `secrets`         | Secrets Manager: read, versions, list, deletion, replication, policy; `clients` (boto3, aws CLI) | in-process / process |
//! | `kms`             | the KMS subset, and a key's state reaching SSM and Secrets Manager   | in-process |
//! | `kms_policies`    | key policies and grants deciding with IAM, their operations' errors  | in-process |
//! | `kms_asym`        | asymmetric, HMAC and ECDH keys, checked against openssl             | in-process |
//! | `kms_import`      | imported key material (Origin EXTERNAL), wrapped by openssl          | in-process |
//! | `kms_multi_region`| multi-Region keys: ReplicateKey, UpdatePrimaryRegion, shared rotation; the aws CLI | in-process / process |
//! | `in_process`      | one session run both ways, showing the connector faithful            | both       |
//! | `wire`            | the JSON 1.1 wire: error shapes, request ids, SigV4 failures         | process    |
//! | `limits`          | idle, slow and greedy clients: timeouts and the connection cap       | process    |
//! | `tls`             | HTTPS with rustls, the aws CLI with a CA bundle                      | process    |
//! | `iam`             | principals, policies, role sessions, resource policies               | process    |
//! | `sts`             | AssumeRole as IAM decides it: trust, session policies, tags          | process    |
//! | `stored_policies` | a stored policy that no longer parses denies (fail closed)           | process    |
//! | `iam_cli`         | `kinko principal / policy / key / audit / assume-role`               | process    |
//! | `audit`           | one record per request, the hash chain, the JSON-lines sink          | process    |
//! | `cli`             | the first session: `kinko env`, files and modes, refusals            | process    |
//! | `tools`           | `exec`, `render`, `import` / `export` / `diff`, batching             | process    |
//! | `proxy`           | `kinko proxy` signing curl's requests to an HTTPS upstream           | process    |
//! | `serverless`      | Serverless Framework v3 `${ssm:…}` via serverless-localstack (npm)   | process    |
//! | `terraform`       | the AWS provider's calls for its KMS, SSM and Secrets Manager resources | in-process |
//! | `quotas`          | `--emulate-quotas aws`: ThrottlingException as AWS answers it, SDK retries  | process    |
//! | `backup`          | `kinko backup` / `restore`, SQLite ↔ PostgreSQL                      | process    |
//! | `changes`         | the watch API: `GET /changes?after=`, filtered by policy, long poll, resync | process    |
//! | `webhooks`        | `kinko webhook`: signed EventBridge-shaped deliveries, retries, failed, secret rotation; parameter policies firing; `durability`: no event lost to `kill -9` mid-storm, exactly once from two PostgreSQL servers | process    |
//! | `metrics`         | `--metrics-listen`: `/metrics` parsed as Prometheus does, and no name or value in it | process    |
//! | `durability`      | restarts, `kill -9` during writes, tampering, SIGTERM under load     | process    |
//! | `cluster`         | several servers on one PostgreSQL store                              | process    |
//! | `faults`          | a full disk, a slow PostgreSQL, a stalled proxy, root-key refusals   | process    |
//! | `support`         | the helpers above                                                     |            |
//!
//! PostgreSQL tests read `KINKO_TEST_DATABASE_URL` and make their own schema.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod audit;
mod backup;
mod changes;
mod cli;
mod cluster;
mod durability;
mod faults;
mod iam;
mod iam_cli;
mod in_process;
mod kms;
mod kms_asym;
mod kms_import;
mod kms_multi_region;
mod kms_policies;
mod limits;
mod metrics;
mod proxy;
mod quotas;
mod secrets;
mod serverless;
mod ssm;
mod stored_policies;
mod sts;
mod support;
mod terraform;
mod tls;
mod tools;
mod webhooks;
mod wire;
