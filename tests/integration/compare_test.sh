#!/usr/bin/env bash
# svcbench compare on committed runs, as README shows it: kube-proxy 1.12 against today's (a
# clear difference), a run against itself (no difference), two results.json files, IPv4 against
# IPv6 of one dual-stack run, and runs from different nodes (refused in one line, compared with
# --force). Needs no root.
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
r=$root/results
work=$(mktemp -d /tmp/svcb-compare-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$svcbench" compare "$r/20261129T133856Z-netns-kube-proxy-current" "$r/20261129T133856Z-netns-kube-proxy-1.12" \
  --out "$work/kp" >"$work/kp.txt" || fail "compare 1.12 against today's"
grep -qE '^latency +iptables-legacy ipv4 10000 new-flow uniform .* B slower$' "$work/kp.txt" \
  || fail "1.12's KUBE-SERVICES walk is not slower: $(grep '10000 new-flow uniform' "$work/kp.txt")"
grep -qE '^differs: config.kube_proxy: ' "$work/kp.txt" || fail "the table does not say the flavours differ"
for f in comparison.csv comparison.json comparison.svg comparison.html; do
  [[ -s $work/kp/$f ]] || fail "no $f"
done
jq -e '(.points | length) > 50 and (.points | all(.ratio >= 0))
       and ([.points[] | select(.test == "mann-whitney")] | length) > 30' "$work/kp/comparison.json" >/dev/null \
  || fail "comparison.json: $(jq -c '.summary' "$work/kp/comparison.json")"
[[ $(($(wc -l <"$work/kp/comparison.csv") - 1)) == $(jq '.points | length' "$work/kp/comparison.json") ]] \
  || fail "comparison.csv and .json disagree"
grep -q '<img src="comparison.svg"' "$work/kp/comparison.html" || fail "the page does not show the plot"

# A run against itself: every point the same.
"$svcbench" compare "$r/20261129T174518Z-netns-cl2" "$r/20261129T174518Z-netns-cl2" >"$work/self.txt" \
  || fail "compare a run with itself"
grep -qE 'B (faster|slower|higher|lower)$' "$work/self.txt" && fail "a run differs from itself: $(grep -E 'B (faster|slower)' "$work/self.txt" | head -3)"
grep -qE '^[0-9]+ points .*: [0-9]+ same' "$work/self.txt" || fail "no summary line: $(tail -2 "$work/self.txt")"

# Files as well as directories: a run's results.json (what `run --out FILE` writes) compares too.
"$svcbench" compare "$r/20261204T234859Z-netns/results.json" "$r/20261205T001353Z-netns/results.json" >"$work/files.txt" \
  || fail "compare two results.json files"
grep -qE '^latency +nftables ipv4 10000 new-flow last ' "$work/files.txt" || fail "files: $(tail -2 "$work/files.txt")"

# The nftables sync variants against the releases' sync (results/comparisons/nftables-sync-variants):
# the sync rows carry the listing's removal, the writing tool's rows do not.
"$svcbench" compare "$r/20261205T030555Z-netns-sync-steps" "$r/20261205T032226Z-netns-nftables-variants" \
  >"$work/variants.txt" || fail "compare the nftables variants"
grep -qE '^sync +nftables ipv4 10000 add-service .* B faster$' "$work/variants.txt" \
  || fail "listing on full syncs only is not faster: $(grep '10000 add-service' "$work/variants.txt")"
grep -qE '^update +nftables ipv4 10000 add-service .* (same|small)$' "$work/variants.txt" \
  || fail "the transaction itself changed: $(grep '10000 add-service' "$work/variants.txt")"
grep -qE '^update +nftables ipv4 5000 initial-load .* B faster$' "$work/variants.txt" \
  || fail "the split cold start is not faster: $(grep '5000 initial-load' "$work/variants.txt")"

# One-endpoint Services without their one-element maps (results/comparisons/nftables-single-endpoint-goto).
"$svcbench" compare "$r/20261205T040709Z-netns-nftables-1-endpoint" "$r/20261205T041405Z-netns-nftables-1-endpoint-goto" \
  >"$work/goto.txt" || fail "compare the single-endpoint goto"
grep -qE '^sync +nftables ipv4 3000 full-resync .* B faster$' "$work/goto.txt" \
  || fail "the one-element maps cost nothing: $(grep '3000 full-resync' "$work/goto.txt")"

# IPv4 against IPv6 of one dual-stack run.
"$svcbench" compare "$r/20261129T165117Z-netns-dual-stack" "$r/20261129T165117Z-netns-dual-stack" \
  --family-a ipv4 --family-b ipv6 >"$work/family.txt" || fail "compare IPv4 with IPv6"
grep -qE '^latency +iptables-legacy 10000 new-flow last ' "$work/family.txt" || fail "no family-free point: $(head -5 "$work/family.txt")"

# Different nodes: one line naming the fields and the way out; nothing written.
msg=$("$svcbench" compare "$r/20261127T105304Z-netns" "$r/20261127T131453Z-vm" --out "$work/refused" 2>&1 >/dev/null)
code=$?
[[ $code == 2 && $(printf '%s\n' "$msg" | wc -l) == 1 && $msg == *node_kind* && $msg == *--force* ]] \
  || fail "different nodes: exit $code: $msg"
[[ ! -e $work/refused ]] || fail "a refused comparison wrote files"
"$svcbench" compare "$r/20261127T105304Z-netns" "$r/20261127T131453Z-vm" --force >/dev/null || fail "--force"
echo "compare: ok"
