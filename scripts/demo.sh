#!/usr/bin/env bash
# The quick-start demo on a fresh home: a module task, a command task and a failing command; then a
# schedule, a dependency chain that stops at a failure, and a paused task.
set -euo pipefail
cd "$(dirname "$0")/.."
export BGT_HOME="${BGT_HOME:-$(mktemp -d)/bgt}"
bgt() { ./dist/bgt "$@"; }
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

echo "BGT_HOME=$BGT_HOME (the supervisor starts on the first command)"
say 'id1=$(bgt run examples/word_count.ts "to be or not to be" --top 2)'
id1=$(bgt run examples/word_count.ts "to be or not to be" --top 2); echo "$id1"
say "id2=\$(bgt run --name listing -- ls -la examples)"
id2=$(bgt run --name listing -- ls -la examples); echo "$id2"
say "id3=\$(bgt run --shell 'echo about to fail >&2; exit 3')"
id3=$(bgt run --shell 'echo about to fail >&2; exit 3'); echo "$id3"
say "bgt wait $id1 $id2 $id3"
bgt wait "$id1" "$id2" "$id3" || echo "(exit code $?: the failing task's own code)"
say "bgt ls"
bgt ls
say "bgt logs $id1"
bgt logs "$id1"
say "bgt result $id1"
bgt result "$id1"
say "bgt logs $id2 --tail 3"
bgt logs "$id2" --tail 3
say "bgt logs $id3 --stderr"
bgt logs "$id3" --stderr
say "bgt every 1s --max-runs 2 -- date +%T   # a schedule"
bgt every 1s --max-runs 2 -- date +%T
say 'a=$(bgt run -- false); b=$(bgt run --after $a -- echo never)   # a chain'
a=$(bgt run -- false); b=$(bgt run --after "$a" -- echo never); echo "$a $b"
bgt wait "$b" >/dev/null || true
say "bgt show $b   # why it did not run"
bgt show "$b" | grep -E '^(status|error|after)'
say "p=\$(bgt run -- sleep 30); bgt pause \$p; bgt ls -s paused; bgt kill \$p"
p=$(bgt run -- sleep 30); sleep 0.3; bgt pause "$p"; bgt ls -s paused; bgt kill "$p"
sleep 2
say "bgt schedules"
bgt schedules
say "bgt daemon stop"
bgt daemon stop
