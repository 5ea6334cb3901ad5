#!/usr/bin/env bash
# Every option a command's --help lists is in docs/command-line.md's synopsis, and every
# option the synopsis names is one some command takes: the two cannot drift apart. (--help:
# every command has it, as the synopsis says once.)
set -uo pipefail
svcbench=${SVCBENCH:?path to the svcbench binary}
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
synopsis=$(awk '/^```/{n++; next} n == 1' "$root/docs/command-line.md")
failures=0
all_options=""
for cmd in rules profile manifests testbed run sweep compare; do
  options=$("$svcbench" $cmd --help | grep -oE '^  --[a-z0-9-]+' | sed 's/^  //' | grep -vx -- --help | sort -u)
  [[ -n $options ]] || { echo "FAIL: svcbench $cmd --help lists no options" >&2; failures=$((failures + 1)); }
  all_options+=$'\n'"$options"
  for o in $options; do
    grep -qE -- "$o([^a-z0-9-]|$)" <<<"$synopsis" || {
      echo "FAIL: svcbench $cmd takes $o; docs/command-line.md's synopsis does not name it" >&2
      failures=$((failures + 1))
    }
  done
done
for o in $(grep -oE -- '--[a-z0-9][a-z0-9-]*' <<<"$synopsis" | sort -u); do
  grep -qxF -- "$o" <<<"$all_options" || {
    echo "FAIL: docs/command-line.md names $o, which no command's --help lists" >&2
    failures=$((failures + 1))
  }
done
((failures == 0)) || exit 1
echo "help_synopsis: ok"
