#!/usr/bin/env bash
# `make pytest`: the integration tests (real tor networks, servers and peers: they mostly wait on the
# network) run beside the rest (unit, interop, TUI, GUI: they mostly compute), so the two cores of a
# small machine both work and `make test` stays within its time. Each half is an ordinary pytest run
# with its own session fixtures; the integration half's output follows the other's.
set -u
bin=${1:-.venv/bin}
log=$(mktemp)
"$bin/pytest" -q -p no:cacheprovider --durations=20 tests/integration >"$log" 2>&1 &
integration=$!
# An interrupted run stops the other half too (its fixtures stop their tors on SIGTERM).
trap 'kill "$integration" 2>/dev/null; wait "$integration" 2>/dev/null; rm -f "$log"' EXIT
"$bin/pytest" -q --durations=10 --ignore=tests/integration
rest=$?
wait "$integration"
integ=$?
trap - EXIT
echo "== tests/integration (run beside the tests above)"
cat "$log"
rm -f "$log"
[ "$rest" -eq 0 ] && [ "$integ" -eq 0 ]
