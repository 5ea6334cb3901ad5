#!/usr/bin/env bash
# scripts/build-uml-kernel: both source packages configure with every option of the committed
# fragment (kconfig drops an option with unmet dependencies silently: the script checks), the
# cached 6.12 build is reused and carries its record, and bad input gets one line and exit 2.
# scripts/test builds 6.12 before the tests; the uml node test boots it and runs every mode.
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fail() { echo "FAIL: $*" >&2; exit 1; }
[[ $(id -u) -eq 0 ]] || { echo "uml_kernel_build: needs root; skipped"; exit 77; }
build="$root/scripts/build-uml-kernel"

for v in 6.12 6.1; do
  said=$("$build" "$v" --check-config 2>&1) || fail "$v --check-config: $said"
  [[ $said == *"config ok (linux-source-$v "* ]] || fail "$v --check-config said: $said"
done

said=$("$build" 7.0 2>&1)
rc=$?
[[ $rc == 2 && $said == *"unknown argument '7.0'"* ]] || fail "unknown version: exit $rc: $said"
[[ $(printf '%s\n' "$said" | wc -l) == 1 ]] || fail "unknown version: more than one line: $said"

# The cached kernel: reused (no rebuild), with its .config and its record.
start=$(date +%s)
kernel=$("$build" 6.12 2>/dev/null | tail -1) || fail "scripts/build-uml-kernel 6.12 failed"
(($(date +%s) - start < 60)) || fail "the cached 6.12 kernel was rebuilt"
dir=$(dirname "$kernel")
[[ -x $kernel ]] || fail "no kernel at $kernel"
for option in CONFIG_NF_TABLES_IPV4=y CONFIG_NFT_NUMGEN=y CONFIG_IP_VS=y CONFIG_IP_SET_HASH_IPPORT=y \
              CONFIG_NETFILTER_XT_MATCH_STATISTIC=y CONFIG_UML_NET_VECTOR=y CONFIG_KERNEL_STACK_ORDER=3; do
  grep -qx "$option" "$dir/config" || fail "$option missing from $dir/config"
done
jq -e '(.kernel_release | startswith("6.12")) and .source_package == "linux-source-6.12"
       and .config_fragment == "scripts/uml-kernel.config" and (.host_fp_size_bytes >= 512)
       and (.compiler | length > 0)' "$dir/build-info.json" >/dev/null \
  || fail "build-info.json: $(cat "$dir/build-info.json")"
echo "uml_kernel_build: ok"
