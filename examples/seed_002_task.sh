#!/bin/sh
# The task of seed 002's SYNOPSIS: it merges its own meta (applyMeta), prints to stdout and
# stderr, writes a data record to fd 3, and reads its standard input (`my @lines = <>`).
bgt=${BGT:-bgt}
"$bgt" meta "$BGT_TASK_ID" target="$3" purpose='World Domination' >/dev/null
echo "Hello World"
echo "Hello World" >&2
echo "{\"greeting\": \"Hello World\", \"debug\": \"$DEBUG_STUFF\"}" >&3
while IFS= read -r line; do echo "read: $line"; done
