#!/usr/bin/env bash
# Runs kinko's fuzz targets (cargo-fuzz / libFuzzer) on the stable toolchain.
#
#   fuzz/run.sh list                 the targets
#   fuzz/run.sh build                build every target
#   fuzz/run.sh TARGET SECONDS       fuzz one target
#   fuzz/run.sh all SECONDS          fuzz each target in turn, then print a table
#   fuzz/run.sh replay [TARGET]      run the seeds and regressions once (all targets by default)
#   fuzz/run.sh smoke SECONDS        replay, then `all SECONDS`; exit 1 on any crash (.ci/run)
#   fuzz/run.sh check-lock           fuzz/Cargo.lock has the root Cargo.lock's versions
#   fuzz/run.sh selftest             the fuzz helpers' own unit tests
#
# Inputs: fuzz/seeds/TARGET (committed), fuzz/regressions/TARGET (committed
# crash reproducers, fixed), fuzz/corpus/TARGET (the growing corpus, not
# committed). Crashes land in fuzz/artifacts/TARGET, logs in fuzz/logs.
#
# Environment: FUZZ_NICE (default 10) is the `nice` level; FUZZ_SANITIZER
# (default none: the code under test is safe Rust, and ASan would halve
# the speed for nothing) is cargo-fuzz's --sanitizer; FUZZ_JOBS (default 1)
# runs that many libFuzzer workers on one target.
set -euo pipefail
cd "$(dirname "$0")"

# cargo-fuzz passes nightly-only flags (-Zsanitizer, -Cpasses=sancov-module);
# this lets the stable toolchain accept them.
export RUSTC_BOOTSTRAP=1
NICE="${FUZZ_NICE:-10}"
SANITIZER="${FUZZ_SANITIZER:-none}"
JOBS="${FUZZ_JOBS:-1}"

TARGETS=(
  sigv4_parse sigv4_verify
  ssm_json secretsmanager_json kms_json admin_json
  sts_query iam_policy references import_formats backup_read
  proxy_request proxy_rules
)

dict_of() {
  case "$1" in
    sigv4_*) echo sigv4 ;;
    ssm_json) echo ssm ;;
    secretsmanager_json) echo secretsmanager ;;
    kms_json) echo kms ;;
    admin_json) echo admin ;;
    sts_query) echo sts ;;
    iam_policy) echo iam ;;
    references) echo references ;;
    import_formats) echo import ;;
    backup_read) echo backup ;;
    proxy_*) echo proxy ;;
    *) echo "unknown target $1" >&2; exit 2 ;;
  esac
}

known() {
  local t
  for t in "${TARGETS[@]}"; do [[ "$t" == "$1" ]] && return 0; done
  echo "unknown target '$1'; one of: ${TARGETS[*]}" >&2
  exit 2
}

cargo_fuzz() {
  nice -n "$NICE" cargo fuzz "$@"
}

build() {
  cargo_fuzz build --sanitizer "$SANITIZER" "$@"
}

# The inputs a target reads: seeds and regressions, never written to.
inputs_of() {
  local dir
  for dir in "seeds/$1" "regressions/$1"; do
    [[ -d "$dir" ]] && echo "$dir"
  done
  return 0
}

count_files() {
  if [[ -d "$1" ]]; then find "$1" -type f | wc -l | tr -d ' '; else echo 0; fi
}

crash_files() {
  if [[ -d "$1" ]]; then
    find "$1" -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) | wc -l | tr -d ' '
  else
    echo 0
  fi
}

# Result of the last `fuzz_one`, for the table.
RESULT=""

fuzz_one() {
  local target="$1" seconds="$2"
  known "$target"
  mkdir -p "corpus/$target" "artifacts/$target" logs
  local log="logs/$target.log"
  local before
  before="$(crash_files "artifacts/$target")"
  local started=$SECONDS
  local status=0 parallel=()
  if [[ "$JOBS" -gt 1 ]]; then parallel=(-jobs="$JOBS" -workers="$JOBS"); fi
  # shellcheck disable=SC2046
  cargo_fuzz run --sanitizer "$SANITIZER" "$target" "corpus/$target" $(inputs_of "$target") -- \
    -max_total_time="$seconds" -dict="dicts/$(dict_of "$target").dict" \
    -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 \
    "${parallel[@]}" \
    -artifact_prefix="artifacts/$target/" >"$log" 2>&1 || status=$?
  local elapsed=$((SECONDS - started))
  local execs rate
  # With FUZZ_JOBS > 1 each worker logs to fuzz-N.log.
  execs="$(cat "$log" fuzz-*.log 2>/dev/null | awk '/stat::number_of_executed_units/ {s += $2} END {print s + 0}' || true)"
  rate=$((elapsed > 0 ? execs / elapsed : 0))
  rm -f fuzz-*.log
  local crashes=$(( $(crash_files "artifacts/$target") - before ))
  if [[ $status -ne 0 && $crashes -eq 0 ]]; then
    # A failure without an artifact (a build error, say): count it, show it.
    crashes=1
    tail -n 30 "$log" >&2
  fi
  RESULT="$(printf '%-20s %8s %12s %8s %8s %8s' "$target" "$elapsed" "$execs" "$rate" "$(count_files "corpus/$target")" "$crashes")"
  echo "$RESULT"
  [[ $crashes -eq 0 ]]
}

header() {
  printf '%-20s %8s %12s %8s %8s %8s\n' target seconds executions exec/s corpus crashes
}

all() {
  local seconds="$1" failed=0 rows=() target
  build
  for target in "${TARGETS[@]}"; do
    fuzz_one "$target" "$seconds" >/dev/null || failed=1
    rows+=("$RESULT")
    echo "$RESULT" >&2
  done
  echo
  header
  printf '%s\n' "${rows[@]}"
  return $failed
}

replay() {
  local failed=0 target inputs
  build
  for target in "$@"; do
    known "$target"
    inputs="$(inputs_of "$target")"
    [[ -z "$inputs" ]] && continue
    mkdir -p logs
    # shellcheck disable=SC2086
    if cargo_fuzz run --sanitizer "$SANITIZER" "$target" $inputs -- -runs=0 >"logs/$target.replay.log" 2>&1; then
      # shellcheck disable=SC2086
      echo "replayed $target: $(find $inputs -type f | wc -l | tr -d ' ') inputs"
    else
      echo "REPLAY FAILED: $target (logs/$target.replay.log)" >&2
      tail -n 30 "logs/$target.replay.log" >&2
      failed=1
    fi
  done
  return $failed
}

# Every package version fuzz/Cargo.lock names is one the root Cargo.lock
# has too, for the packages both name (the fuzz crate adds libfuzzer-sys
# and its few dependencies, and needs fewer of the rest).
check_lock() {
  local diff
  diff="$(join <(lock_versions ../Cargo.lock | sort -u) <(lock_versions Cargo.lock | sort -u) -j1 -o 0,1.2,2.2 2>/dev/null |
    awk '{root[$1] = root[$1] " " $2; fuzz[$1] = fuzz[$1] " " $3}
         END {for (n in fuzz) {split(fuzz[n], f, " "); for (i in f) if (index(root[n] " ", " " f[i] " ") == 0) print n, f[i]}}' | sort -u)"
  if [[ -n "$diff" ]]; then
    echo "fuzz/Cargo.lock has versions the root Cargo.lock does not (package version):" >&2
    echo "$diff" >&2
    return 1
  fi
  echo "fuzz/Cargo.lock: the root lock's versions"
}

# "name version" per package in a lock file.
lock_versions() {
  awk '/^name = /{gsub(/"/,"",$3); name=$3} /^version = /{gsub(/"/,"",$3); print name, $3}' "$1"
}

case "${1:-}" in
  list) printf '%s\n' "${TARGETS[@]}" ;;
  build) build ;;
  all) all "${2:?seconds per target}" ;;
  replay) shift; if [[ $# -eq 0 ]]; then replay "${TARGETS[@]}"; else replay "$@"; fi ;;
  smoke)
    seconds="${2:?seconds per target}"
    check_lock
    replay "${TARGETS[@]}"
    all "$seconds"
    ;;
  check-lock) check_lock ;;
  selftest) nice -n "$NICE" cargo test --lib --no-default-features ;;
  "" | -h | --help) sed -n '2,22p' "$0" ;;
  *)
    build
    header
    fuzz_one "$1" "${2:?seconds}"
    ;;
esac
