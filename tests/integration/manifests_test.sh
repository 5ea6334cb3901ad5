#!/usr/bin/env bash
# `svcbench manifests`: the List is what the Kubernetes API takes (every object through the
# official Python client's models, with their client-side validation, and Kubernetes' name
# rules), and `rules --from` it prints exactly what `rules --services N` prints with the same
# flags, in every mode.
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
work=$(mktemp -d /tmp/svcb-manifests-XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

flags=(--services 500 --endpoints-profile cl2 --nodeport-share 0.2 --loadbalancer-share 0.1 --seed 7)
"$svcbench" manifests "${flags[@]}" --out "$work/list.json" || fail "manifests"
for mode in iptables nftables ipvs; do
  "$svcbench" rules --mode $mode --from "$work/list.json" --out "$work/from-$mode" || fail "rules --from ($mode)"
  "$svcbench" rules --mode $mode "${flags[@]}" --out "$work/synthetic-$mode" || fail "rules --services ($mode)"
  cmp -s "$work/from-$mode" "$work/synthetic-$mode" || fail "$mode: rules --from the List differ from rules --services: $(diff "$work/from-$mode" "$work/synthetic-$mode" | head -5)"
done
"$svcbench" manifests --services 20 --namespace bench --ip-family ipv6 --out "$work/list6.json" || fail "IPv6 manifests"
"$svcbench" rules --ip-family ipv6 --from "$work/list6.json" --out "$work/from6" || fail "rules --from the IPv6 List"
"$svcbench" rules --ip-family ipv6 --services 20 --namespace bench --out "$work/synthetic6" || fail "IPv6 rules"
cmp -s "$work/from6" "$work/synthetic6" || fail "IPv6: rules --from the List differ"

/usr/bin/python3 - "$work/list.json" "$work/list6.json" <<'PY' || fail "the List is not what the Kubernetes API takes"
import json, re, sys
from kubernetes import client

api = client.ApiClient()
dns_label = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
dns_subdomain = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
models = {("v1", "Service"): "V1Service", ("discovery.k8s.io/v1", "EndpointSlice"): "V1EndpointSlice"}
for path in sys.argv[1:]:
    doc = json.load(open(path))
    assert doc["kind"] == "List" and doc["apiVersion"] == "v1", "not a v1 List"
    for item in doc["items"]:
        model = models[(item["apiVersion"], item["kind"])]
        # The client's models check required fields and enums as the API server's schema does.
        obj = api._ApiClient__deserialize(item, model)
        meta = item["metadata"]
        assert dns_label.match(meta["namespace"]), meta
        if item["kind"] == "Service":
            assert dns_label.match(meta["name"]), meta  # Service names are DNS-1035 labels
            assert obj.spec.selector is None and obj.spec.cluster_ip == obj.spec.cluster_i_ps[0]
            for p in obj.spec.ports:
                assert 1 <= p.port <= 65535 and (p.node_port is None or 30000 <= p.node_port <= 32767), p
        else:
            assert dns_subdomain.match(meta["name"]), meta
            assert obj.address_type in ("IPv4", "IPv6") and 0 < len(obj.endpoints) <= 1000
            assert all(len(e.addresses) == 1 for e in obj.endpoints)
print(f"manifests: {sum(len(json.load(open(p))['items']) for p in sys.argv[1:])} objects valid")
PY

# Bad input: one line, exit 2, nothing written.
out=$("$svcbench" manifests --services 5 --namespace Bad_NS --out "$work/bad.json" 2>&1) && fail "a bad namespace was taken"
[[ $out == *"not a Kubernetes namespace name"* && ! -e $work/bad.json ]] || fail "unclear namespace error: $out"
out=$("$svcbench" manifests --out "$work/bad.json" 2>&1) && fail "manifests without --services succeeded"
[[ $out == *"--services N"* ]] || fail "unclear error without --services: $out"
echo "manifests: ok"
