#!/usr/bin/env bash
# Bad input gets one clear error line on stderr, a non-zero exit (2 for usage errors) and
# nothing written. Every line holds with and without root: run as root, each is checked again
# as an unprivileged user (nobody), so arguments are judged before the root check.
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
work=$(mktemp -d /tmp/svcb-cli-XXXXXX)
trap 'rm -rf "$work"' EXIT
failures=0
users=(self)
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  users+=(nobody)
  chmod 777 "$work"  # nobody could write there too: what it leaves is seen
fi
as() {  # as USER ARGS...: svcbench as that user
  local user=$1; shift
  if [[ $user == nobody ]]; then
    setpriv --reuid=65534 --regid=65534 --clear-groups "$svcbench" "$@"
  else
    "$svcbench" "$@"
  fi
}

# expect CODE ARGS...: exit code CODE, exactly one stderr line, no file under $work/out*.
expect() {
  local want=$1; shift
  local user got lines
  for user in "${users[@]}"; do
    as "$user" "$@" >"$work/stdout" 2>"$work/stderr"
    got=$?
    lines=$(wc -l <"$work/stderr")
    if [[ $got != "$want" || $lines != 1 ]] || compgen -G "$work/out*" >/dev/null; then
      echo "FAIL ($user): svcbench $* -> exit $got (want $want), $lines stderr lines:" >&2
      cat "$work/stderr" >&2
      failures=$((failures + 1))
    fi
    rm -rf "$work"/out*
  done
}

# expect_said CODE TEXT ARGS...: as expect, and the line says TEXT (the problem, not a later one).
expect_said() {
  local want=$1 text=$2; shift 2
  expect "$want" "$@"
  local user said
  for user in "${users[@]}"; do
    said=$(as "$user" "$@" 2>&1 >/dev/null)
    [[ $said == *"$text"* ]] || {
      echo "FAIL ($user): svcbench $* does not say '$text': $said" >&2
      failures=$((failures + 1))
    }
    rm -rf "$work"/out*
  done
}

# Little-endian fields for hand-made captures.
le32() { printf '\\x%02x\\x%02x\\x%02x\\x%02x' $(($1 & 255)) $((($1 >> 8) & 255)) $((($1 >> 16) & 255)) $((($1 >> 24) & 255)); }
pcap_header() { printf "\xd4\xc3\xb2\xa1\x02\x00\x04\x00$(le32 0)$(le32 0)$(le32 "$1")$(le32 "$2")"; }  # SNAPLEN LINKTYPE
pcap_record() { printf "$(le32 1)$(le32 0)$(le32 "$1")$(le32 "$2")"; }                                  # CAPLEN LEN
{ pcap_header 4294967295 1; pcap_record 2147483647 2147483647; printf 'abcdefghij'; } >"$work/huge-snaplen.pcap"
{ pcap_header 65535 1; pcap_record 0 0; } >"$work/zero-length.pcap"
{ pcap_header 65535 1; pcap_record 14 60; printf '\x02\x00\x00\x00\x00\x01\x02\x00\x00\x00\x00\x02\x08\x00'; } >"$work/cut-short.pcap"
{ pcap_header 65535 1; pcap_record 42 42; printf '\xff\xff\xff\xff\xff\xff\x02\x00\x00\x00\x00\x02\x08\x06'; head -c 28 /dev/zero; } >"$work/arp.pcap"
{ pcap_header 65535 101; pcap_record 28 28; printf '\x45\x00\x00\x1c'; head -c 24 /dev/zero; } >"$work/raw-ip.pcap"
# A Service whose name would end an iptables comment and add rules, one that would run a shell.
cat >"$work/hostile.json" <<'JSON'
{"items": [{"kind": "Service", "metadata": {"namespace": "default", "name": "a\" -j ACCEPT\n-A KUBE-SERVICES -j DROP #"},
            "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80}]}}]}
JSON
cat >"$work/hostile-shell.json" <<'JSON'
{"items": [{"kind": "Service", "metadata": {"namespace": "default", "name": "$(touch /tmp/svcb-pwned)"},
            "spec": {"clusterIP": "10.0.0.1", "ports": [{"port": 80, "name": "`touch /tmp/svcb-pwned`"}]}}]}
JSON
rm -f /tmp/svcb-pwned

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
expect_said 2 "truncated or corrupt" pcap inspect "$work/huge-snaplen.pcap"
# Replaying: every capture is checked before svcbench touches the node (none is up here).
for f in empty random truncated huge-snaplen; do expect 2 run --pcap "$work/$f.pcap" --out "$work/out.json"; done
expect_said 2 "no UDP/TCP packet over IPv4 or IPv6" run --pcap "$work/zero-length.pcap" --out "$work/out.json"
expect_said 2 "no UDP/TCP packet over IPv4 or IPv6" run --pcap "$work/cut-short.pcap" --out "$work/out.json"
expect_said 2 "no UDP/TCP packet over IPv4 or IPv6" run --pcap "$work/arp.pcap" --out "$work/out.json"
expect_said 2 "only Ethernet" run --pcap "$work/raw-ip.pcap" --out "$work/out.json"
expect_said 2 "is a directory" run --pcap "$work" --out "$work/out.json"
expect 2 run --pcap /dev/null --out "$work/out.json"
# Facts about odd but well-formed captures are not errors.
"$svcbench" pcap inspect "$work/zero-length.pcap" | jq -e '.packets == 1 and .ipv4 == 0' >/dev/null \
  || { echo "FAIL: pcap inspect of a zero-length record" >&2; failures=$((failures + 1)); }
"$svcbench" pcap inspect "$work/raw-ip.pcap" | jq -e '.link_type == "RAW" and .ipv4 == 0' >/dev/null \
  || { echo "FAIL: pcap inspect of a raw-IP capture" >&2; failures=$((failures + 1)); }
expect_said 2 "not a valid Kubernetes name" rules --from "$work/hostile.json" --out "$work/out.rules"
expect_said 2 "not a valid Kubernetes name" rules --mode nftables --from "$work/hostile-shell.json"
expect_said 2 "not a valid Kubernetes name" rules --mode ipvs --from "$work/hostile-shell.json"
[[ -e /tmp/svcb-pwned ]] && { echo "FAIL: a Service name ran a command" >&2; failures=$((failures + 1)); }
# kube-proxy's flags: known versions, flavours that exist for the mode, node IPs NodePorts can use.
expect_said 2 "takes current, 1.12 or 1.33" rules --services 10 --kube-proxy-version 1.13
expect_said 2 "renders iptables rules only" rules --mode nftables --services 10 --kube-proxy-version 1.12
expect_said 2 "renders iptables rules only" sweep --modes nftables --kube-proxy-version 1.12 --out "$work/out"
expect_said 2 "renders nftables rules only" rules --mode ipvs --services 10 --kube-proxy-version 1.33
expect_said 2 "renders nftables rules only" sweep --modes iptables-legacy,nftables --kube-proxy-version 1.33 --out "$work/out"
expect_said 2 "takes every-sync or full-syncs" sweep --nft-list sometimes --out "$work/out"
expect_said 2 "add nftables to --modes" sweep --modes iptables-legacy --nft-split-cold-start 500 --out "$work/out"
expect_said 2 "add ipvs to --modes" sweep --modes iptables-legacy --ipvs-sync batched --out "$work/out"
expect_said 2 "--ipvs-sync takes kube-proxy or batched" rules --mode ipvs --services 10 --ipvs-sync fast
expect_said 2 "not the rules" rules --mode ipvs --services 10 --ipvs-sync batched
# nf_tables-backed modes above 10,000 Services on this machine's own kernel: refused, naming the way out.
expect_said 2 "--accept-host-risk" sweep --modes iptables-legacy,nftables --services 100,10001 --out "$work/out"
expect_said 2 "--node uml or --node ssh" sweep --modes iptables-nft --services 20000 --out "$work/out"
expect_said 2 "--uml-kernel takes" sweep --node uml --uml-kernel "" --out "$work/out"
expect_said 2 "use it with --mode nftables" rules --services 10 --nft-single-endpoint-goto
expect_said 2 "not the rules" rules --mode nftables --services 10 --nft-list full-syncs
expect_said 2 "1.12 had no such setting" rules --services 10 --kube-proxy-version 1.12 --nfacct
expect_said 2 "holds none of the node's IPs" rules --services 10 --nodeport-addresses 10.0.0.0/8
expect_said 2 "is not an IP address" rules --services 10 --node-ip node-a
expect_said 2 "is not a CIDR" rules --services 10 --service-cidr 198.19.0.0/33
expect_said 2 "go with --during" run --masquerade-all
expect_said 2 "takes ipv4, ipv6 or dual" rules --services 10 --ip-family ipv5
expect_said 2 "is a sweep's" rules --services 10 --ip-family dual
expect_said 2 "is a sweep's" run --ip-family dual
expect_said 2 "is a sweep's" manifests --services 10 --ip-family dual
expect_said 2 "at most one CIDR per family" rules --services 10 --cluster-cidr 10.0.0.0/8,10.1.0.0/16
# Endpoint profiles: one way of saying it, known forms, a readable histogram.
printf '3 90\nfive 2\n' >"$work/bad-profile.txt"
expect_said 2 "either --endpoints or --endpoints-profile" rules --services 10 --endpoints 2 --endpoints-profile cl2
expect_said 2 "takes uniform:E, range:MIN-MAX, cl2 or file:PATH" rules --services 10 --endpoints-profile cl3
expect_said 2 "line 2 is not" rules --services 10 --endpoints-profile "file:$work/bad-profile.txt"
expect 2 rules --services 10 --endpoints-profile "file:$work/none.txt"
expect_said 2 "every Service needs an endpoint" sweep --endpoints 0 --out "$work/out"
expect_said 2 "go with --during" run --endpoints-profile cl2
expect_said 2 "say which cluster" profile
expect 2 profile --from "$work/bad-profile.txt"
expect 2 sweep --modes bogus --out "$work/out"
expect 2 sweep --services 10,abc --out "$work/out"
expect 2 sweep --services 10
expect 2 sweep --resume "$work/out-none"
expect 2 run --packets lots
# The generator's ports: named only for EAL arguments of the user's, in pairs, with a real MAC.
expect_said 2 "give them after --" sweep --out "$work/out" --tx-port 0000:3b:00.0 --rx-port 0000:3b:00.1
expect_said 2 "name the ports" sweep --out "$work/out" -- -l 0 -a 0000:3b:00.0
expect_said 2 "name both baseline ports" sweep --out "$work/out" --tx-port a --rx-port b --baseline-tx-port c -- -l 0
expect_said 2 "name both ports" run --baseline --tx-port a -- -l 0
expect_said 2 "is not a MAC" sweep --out "$work/out" --dst-mac zz
expect_said 2 "unknown node kind" sweep --node bare --out "$work/out"
# The capacity search's options: only with --throughput, and values that can search.
expect_said 2 "add --throughput" run --duration-sum 3
expect_said 2 "add --throughput" sweep --out "$work/out" --search-profile rfc2544
expect_said 2 "goes with --throughput" sweep --out "$work/out" --throughput-targets last
expect_said 2 "takes csit or rfc2544" run --throughput --search-profile fast
expect_said 2 "NAME:LOSS_RATIO" run --throughput --goals ndr:zero
expect_said 2 "NAME:LOSS_RATIO" sweep --out "$work/out" --throughput --goals pdr:1.5
expect_said 2 "drop --baseline" run --throughput --baseline
# Updates under load: the tuning options only with --during / --under-load, known operations,
# the Services to update named, values that can run.
expect_said 2 "add --during" run --load-rate 2000
expect_said 2 "add --under-load" sweep --out "$work/out" --convergence-runs 3
expect_said 2 "goes with --under-load" sweep --out "$work/out" --operations add-service
expect_said 2 "go with --during" run --services 100
expect_said 2 "unknown update operation 'initial-load'" run --during add-service,initial-load --services 10
expect_said 2 "needs the Services" run --during all
expect_said 2 "drop --baseline" run --during all --services 10 --baseline
expect_said 2 "--convergence-runs must be at least 1" sweep --out "$work/out" --under-load --convergence-runs 0
expect_said 2 "--load-rate must be at least 1" run --during all --services 10 --load-rate 0.5
expect_said 2 "takes auto, af_xdp or af_packet" run --generator-driver dpdk
expect_said 2 "name the devices there" run --baseline --generator-driver af_xdp --tx-port a --rx-port b -- -l 0
# Comparing runs: two results directories, families in pairs, a level that can test.
expect_said 2 "give two results directories" compare "$work"
expect_said 2 "holds no results.json" compare "$work" "$work" --out "$work/out"
echo '{"latency": []}' >"$work/results.json"
expect_said 2 "is not an svcbench results.json" compare "$work" "$work"
rm -f "$work/results.json"
expect_said 2 "go together" compare "$work" "$work" --family-a ipv4
expect_said 2 "takes ipv4 or ipv6" compare "$work" "$work" --family-a ipv5 --family-b ipv4
expect 2 compare "$work" "$work" --alpha 2
# Numbers in messages as people write them.
expect_said 2 "must be a number from 0 to 86,400, not '-1'" sweep --warmup -1 --out "$work/out"
expect_said 2 "takes shuffled or grouped" sweep --order random --out "$work/out"
expect_said 2 "goes with --order shuffled" sweep --order grouped --order-seed 3 --out "$work/out"
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
