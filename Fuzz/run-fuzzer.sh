#!/usr/bin/env bash
# Builds the RESPDecoder fuzzer (libFuzzer + AddressSanitizer) and runs it.
#
# Usage, from the repository root:
#   Fuzz/run-fuzzer.sh [RUNS] [extra libFuzzer flags...]
#
# RUNS defaults to 10,000,000 inputs. The seed corpus Fuzz/corpus/ is only read; inputs that libFuzzer finds
# interesting go to .build-fuzz/corpus/ (ignored by git), crashes, timeouts and leaks to fuzz-artifacts/.
# Environment: FUZZ_SKIP_BUILD=1 reuses the last build; ASAN_OPTIONS replaces the defaults below.
set -euo pipefail

runs="${1:-10000000}"
shift || true

if [[ ! -f Package.swift || ! -d Fuzz/corpus ]]; then
    echo "run-fuzzer.sh: run from the repository root" >&2
    exit 64
fi

scratch=.build-fuzz
if [[ "${FUZZ_SKIP_BUILD:-0}" != 1 ]]; then
    # The Package.swift block behind TICKETD_FUZZ=1 adds the executable target; -sanitize=fuzzer links libFuzzer's
    # main, -parse-as-library keeps main.swift from defining one of its own.
    TICKETD_FUZZ=1 swift build -c release --scratch-path "$scratch" --product RESPDecoderFuzzer \
        -Xswiftc -sanitize=fuzzer,address -Xswiftc -parse-as-library
fi
binary="$(TICKETD_FUZZ=1 swift build -c release --scratch-path "$scratch" --show-bin-path)/RESPDecoderFuzzer"

mkdir -p fuzz-artifacts "$scratch/corpus"
log="fuzz-artifacts/fuzz-$(date +%Y%m%d-%H%M%S).log"
# Most of the fuzzer's time goes to ASan recording a stack for every malloc and holding 256 MB of freed memory in
# quarantine: without malloc stacks (replay a crash input without these options to get them) and with a small
# quarantine it runs about 30 % faster and its RSS stays near 100 MB instead of creeping towards -rss_limit_mb.
export ASAN_OPTIONS="${ASAN_OPTIONS:-malloc_context_size=0:quarantine_size_mb=16:allocator_release_to_os_interval_ms=-1}"
start=$(date +%s)
status=0
"$binary" "$scratch/corpus" Fuzz/corpus \
    -runs="$runs" \
    -max_len=4096 \
    -rss_limit_mb=2048 \
    -timeout=5 \
    -artifact_prefix=fuzz-artifacts/ \
    -print_final_stats=1 \
    "$@" 2>&1 | tee "$log" || status=$?
elapsed=$(($(date +%s) - start))

executed=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
echo "----"
echo "executions: ${executed:-unknown} (requested ${runs}) in ${elapsed}s; exit status ${status}; log ${log}"
grep -E '^Done [0-9]+ runs|^stat::(average_exec_per_sec|peak_rss_mb)' "$log" || true
exit "$status"
