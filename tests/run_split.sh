#!/usr/bin/env bash
# `make pytest`: three ordinary pytest runs side by side, each with its own session fixtures and
# temporary directory. The rest (unit, interop, TUI, GUI) mostly computes; the integration tests
# (real tor networks, servers and peers) mostly wait -- the IRC ones on the servers' flood limits,
# the onion ones on onion services -- so they run as two halves beside it, and the two cores of a
# small machine both work: `make test` stays within its time. The integration halves' output
# follows the rest's.
set -u
bin=${1:-.venv/bin}
work=$(mktemp -d)
pids=()
integration() {  # name, pytest arguments...
    local name=$1
    shift
    mkdir "$work/$name"
    "$bin/pytest" -q -p no:cacheprovider --durations=15 --basetemp="$work/$name/tmp" "$@" \
        >"$work/$name.log" 2>&1 &
    pids+=($!)
}
# The TUI's and GUI's tests on the real stack (tor, Prosody) wait as the integration tests do.
real_stack_uis=(tests/tui/test_tui_integration.py tests/tui/test_tor_connection.py tests/gui/test_gui_integration.py)
integration peers tests/integration/test_irc_*.py tests/integration/test_onion_*.py "${real_stack_uis[@]}"
integration stack tests/integration \
    --ignore-glob='*/test_irc_*' --ignore-glob='*/test_onion_*'
# An interrupted run stops the other runs too (their fixtures stop their tors on SIGTERM).
trap 'kill "${pids[@]}" 2>/dev/null; wait "${pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
"$bin/pytest" -q --durations=10 --ignore=tests/integration "${real_stack_uis[@]/#/--ignore=}"
rest=$?
integ=0
for pid in "${pids[@]}"; do
    wait "$pid" || integ=1
done
trap - EXIT
for name in peers stack; do
    echo "== tests/integration, the $name half (run beside the tests above)"
    cat "$work/$name.log"
done
rm -rf "$work"
[ "$rest" -eq 0 ] && [ "$integ" -eq 0 ]
