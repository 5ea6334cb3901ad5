# Sourced by the integration scripts that drive a node, after `set -uo pipefail`:
#   node_test NAME   skips (exit 77) without root, makes $work, and on exit tears the node
#                    down and removes $work, however the script ends.
#   fail TEXT        ends the test with "FAIL: TEXT".
#   wait_for FILE TEXT SECONDS
#                    waits until FILE holds TEXT; false after SECONDS.
svcbench=${SVCBENCH:?path to the svcbench binary}
fail() { echo "FAIL: $*" >&2; exit 1; }
wait_for() {
  for _ in $(seq $(($3 * 20))); do grep -qF -- "$2" "$1" && return 0; sleep 0.05; done
  return 1
}
node_test() {
  [[ $(id -u) -eq 0 ]] || { echo "$1: needs root; skipped"; exit 77; }
  work=$(mktemp -d "/tmp/svcb-$1-XXXXXX")
  trap '"$svcbench" testbed down >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
}
