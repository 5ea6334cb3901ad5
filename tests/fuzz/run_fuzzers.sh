#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan + LeakSanitizer) and runs each for a
# bounded time from its seed corpus. Any crash, leak, sanitizer report or hang fails the run.
# Usage: run_fuzzers.sh SOURCE_ROOT WORK_DIR [SECONDS_PER_TARGET]
set -euo pipefail
src=${1:?source root}
work=${2:?work dir}
seconds=${3:-30}
command -v clang++ >/dev/null || { echo "run_fuzzers: clang++ not installed (scripts/install-deps); skipped"; exit 77; }
mkdir -p "$work"
flags=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
       -I"$src/rulesets" -I"$src/harness/traffic" -I"$src/harness/system"
       $(pkg-config --cflags nlohmann_json libpcap))
libs=($(pkg-config --libs libcrypto libpcap))
r="$src/rulesets"
clang++ "${flags[@]}" "$src/tests/fuzz/kubernetes_import_fuzz.cpp" "$r/kubernetes_import.cpp" \
  "$r/address_plan.cpp" "$r/service_model.cpp" -o "$work/kubernetes_import_fuzz" "${libs[@]}"
clang++ "${flags[@]}" "$src/tests/fuzz/pcap_reader_fuzz.cpp" "$src/harness/traffic/pcap_file.cpp" \
  "$src/harness/traffic/packet_builder.cpp" "$src/harness/traffic/traffic_plan.cpp" \
  "$r/address_plan.cpp" "$r/service_model.cpp" -o "$work/pcap_reader_fuzz" "${libs[@]}"
status=0
for target in kubernetes_import pcap_reader; do
  corpus="$work/corpus-$target"
  rm -rf "$corpus" && mkdir -p "$corpus"
  cp "$src/tests/fuzz/corpus/$target"/* "$corpus/"
  echo "run_fuzzers: $target for ${seconds}s"
  if ! "$work/${target}_fuzz" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
      -artifact_prefix="$work/$target-" "$corpus" >"$work/$target.log" 2>&1; then
    echo "run_fuzzers: $target FAILED; tail of its log:" >&2
    tail -30 "$work/$target.log" >&2
    status=1
  else
    grep -E "^Done|stat::number_of_executed_units" "$work/$target.log" | tail -1 || true
  fi
done
exit $status
