#!/usr/bin/env bash
# Bad input gets one clear error line on stderr, a non-zero exit (2 for usage errors) and
# nothing written. Runs without root except where noted.
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
work=$(mktemp -d /tmp/svcb-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0

# expect CODE ARGS...: exit code CODE, exactly one stderr line, no file under $work/out*.
expect() {
  local want=$1; shift
  "$svcbench" "$@" >"$work/stdout" 2>"$work/stderr"
  local got=$?
  local lines
  lines=$(wc -l <"$work/stderr")
  if [[ $got != "$want" || $lines != 1 ]] || compgen -G "$work/out*" >/dev/null; then
    echo "FAIL: svcbench $* -> exit $got (want $want), $lines stderr lines:" >&2
    cat "$work/stderr" >&2
    failures=$((failures + 1))
  fi
  rm -f "$work"/out*
}

printf '' >"$work/empty.pcap"
head -c 100 /dev/urandom >"$work/random.pcap"
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x50\x00\x00\x00\x50\x00\x00\x00\x01\x02' >"$work/truncated.pcap"
echo '{"items": [' >"$work/bad.json"
echo '{"kind": "Service"}' >"$work/notalist.json"

expect 2 frobnicate
expect 2 rules --services 0
expect 2 rules --services 100000000
expect 2 rules --services many
expect 2 rules --services 10 --bogus
expect 2 rules --mode ipvs --services 10 --base-jumps
expect 2 rules --mode nftables --services 10 --nfacct
expect 2 rules --mode wat --services 10
expect 2 rules --services 10 --endpoints 5-1
expect 2 rules --services 10 --cluster-cidr 300.1.0.0/16
expect 2 rules --services 10 --udp-share 2
expect 2 rules --from "$work/missing.json"
expect 2 rules --from "$work/bad.json" --out "$work/out.rules"
expect 2 rules --from "$work/notalist.json"
expect 2 rules --from "$work" 
expect 2 rules --services 10 --from "$work/bad.json"
expect 2 pcap inspect "$work/empty.pcap"
expect 2 pcap inspect "$work/random.pcap"
expect 2 pcap inspect "$work/truncated.pcap"
expect 2 pcap inspect "$work"
expect 2 pcap inspect /dev/null
expect 2 pcap inspect "$work/missing.pcap"
expect 2 pcap frobnicate x
expect 2 sweep --modes bogus --out "$work/out"
expect 2 sweep --services 10,abc --out "$work/out"
expect 2 sweep --services 10
expect 2 sweep --resume "$work/out-none"
expect 2 run --packets lots
expect 2 run --burst 0
expect 2 run --map-services
expect 2 testbed sideways
expect 2 testbed up --node bogus

# Without root: a clear refusal, not a crash, for everything that programs a node.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  for args in "testbed up" "testbed down" "run" "sweep --out $work/out"; do
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$svcbench" $args 2>&1 >/dev/null)
    code=$?
    if [[ $code == 0 || $(printf '%s\n' "$out" | wc -l) != 1 || $out != *root* ]]; then
      echo "FAIL: unprivileged svcbench $args -> exit $code: $out" >&2
      failures=$((failures + 1))
    fi
  done
fi

# A good invocation does write, atomically.
"$svcbench" rules --services 5 --out "$work/good.rules" --pcap "$work/good.pcap" || failures=$((failures + 1))
"$svcbench" pcap inspect "$work/good.pcap" | jq -e '.packets == 5 and .flows == 5' >/dev/null || failures=$((failures + 1))
ls "$work" | grep -q partial && { echo "FAIL: temporary files left" >&2; failures=$((failures + 1)); }

if ((failures)); then
  echo "cli_bad_input: $failures failures" >&2
  exit 1
fi
echo "cli_bad_input: ok"
