#!/bin/sh
# Seed 002's SYNOPSIS (RapidApp::BgTask), redone line by line with bgt commands: spawn with env,
# meta and retained output; search the running tasks and pause them with a meta note; read the
# streams' available ranges, the data records, all of stdout and a byte range of it.
#
#   BGT=dist/bgt sh examples/seed_002.sh
set -eu
bgt=${BGT:-bgt}
export BGT="$bgt" # the task script calls bgt too
here=$(cd "$(dirname "$0")" && pwd)

# my $task= RapidApp::BgTask->spawn(
#   exec => [ qw( /opt/scripts/foo.pl -n -t /tmp/bar.txt ) ],
#   env => { DEBUG_STUFF => 1 },
#   meta => { name => 'Hello World', myDataStruct => MyObject->new({x =>'y'}) },
#   retainOutput => 1000000 );
id=$("$bgt" run --name hello-world --env DEBUG_STUFF=1 --meta name='Hello World' \
  --meta myDataStruct='{"x":"y"}' --retain 1000000 --stdin \
  -- "$here/seed_002_task.sh" -n -t /tmp/bar.txt </dev/null)
until "$bgt" ls --status running -q | grep -qx "$id"; do sleep 0.05; done

# my @runningTasks= RapidApp::BgTask->search( status => { running => 1 } );
# for my $task (@runningTasks) { $task->pause(); $task->applyMeta('Paused by '.$$); }
for task in $("$bgt" ls --status running -q); do
  "$bgt" pause "$task"
  "$bgt" meta "$task" note="Paused by $$" >/dev/null
done
"$bgt" ls --status paused

# (the seed's task reads its input with `my @lines = <>`: resume it and write to its stdin)
"$bgt" resume "$id"
"$bgt" send "$id" "first line"
"$bgt" send "$id" "second line" --eof
"$bgt" wait "$id" >/dev/null

# my $task= RapidApp::BgTask->new($pid);
# print "Bytes ".$task->stream(1)->start." - ".$task->stream(1)->limit." available on STDOUT\n";
# print "Bytes ".$task->stream(2)->start." - ".$task->stream(2)->limit." available on STDERR\n";
echo "streams: $("$bgt" logs "$id" --json)"
echo "meta:"
"$bgt" meta "$id"

# my @datagrams= $task->stream('data')->read; # read all available messages
echo "data:"
"$bgt" logs "$id" --data

# my $stdout= $task->stream('stdout')->read; # read all available bytes
echo "stdout:"
"$bgt" logs "$id"

# my $stdoutSegment= $task->stream('stdout')->read(12, 35); # bytes [12 .. 34] if still available
echo "stdout[12, 35):"
"$bgt" logs "$id" --range 12:35
echo
