#!/usr/bin/env bash
# Runs one `swift test` group with a deadline, so that a test that hangs fails `make test` within minutes, with the
# threads of the hung test process printed, instead of holding CI until its own timeout without a word.
#
# Usage: scripts/test-watchdog.sh SECONDS swift test ARGS...
#
# swift-test relays what the test process prints, and holds it in a 4 KB buffer when its own output is a pipe (as in
# CI): a hung run showed only its first 4 KB. The command runs under `stdbuf -oL -eL`, so each line shows when printed.
set -uo pipefail
limit=$1
shift
stdbuf -oL -eL "$@" &
runner=$!
deadline=$((SECONDS + limit))
while kill -0 "$runner" 2>/dev/null; do
	if ((SECONDS >= deadline)); then
		echo "test-watchdog: still running after ${limit} s: $*" >&2
		# swift-test's children are the test processes; theirs are the servers a test started.
		for tests in $(pgrep -P "$runner"); do
			echo "test-watchdog: processes started by test process $tests:" >&2
			ps -o pid,etimes,stat,args --ppid "$tests" >&2
			if command -v gdb >/dev/null; then
				echo "test-watchdog: threads of test process $tests:" >&2
				timeout 120 gdb -p "$tests" -batch -ex 'thread apply all bt 30' 2>&1 | grep -E '^(Thread|#)' | head -n 1500 >&2
			fi
			pkill -KILL -P "$tests"
			kill -KILL "$tests"
		done
		wait "$runner"
		exit 124
	fi
	sleep 1
done
wait "$runner"
