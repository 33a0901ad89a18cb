#!/bin/sh
# Checks the systemd units offline, as CI can on a machine without systemd
# running: `systemd-analyze verify` on every unit, and the exposure score of
# `systemd-analyze security --offline=yes` for each service, with and without
# the low-port drop-in. Prints the scores; fails above MAX_EXPOSURE (2.0).
#
# Needs systemd-analyze (Debian: apt-get install systemd) and the outpost
# binary (OUTPOST_BIN, default target/debug/outpost, built when missing): the
# units name /usr/local/bin/outpost, which verify insists exists, so copies
# of the units point at the built binary instead.
set -eu

cd "$(dirname "$0")/.."
max=${MAX_EXPOSURE:-2.0}

command -v systemd-analyze >/dev/null || {
    echo "check-units: systemd-analyze is missing (apt-get install systemd)" >&2
    exit 1
}
bin=${OUTPOST_BIN:-target/debug/outpost}
[ -x "$bin" ] || cargo build --locked --bin outpost
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/units"
for unit in systemd/*.service systemd/*.timer; do
    [ -e "$unit" ] || continue
    sed "s#/usr/local/bin/outpost#$bin#g" "$unit" >"$tmp/units/$(basename "$unit")"
done

# verify prints nothing when all is well; any output is a finding.
verify() {
    findings=$(systemd-analyze verify "$@" 2>&1) || true
    if [ -n "$findings" ]; then
        printf '%s\n' "$findings" >&2
        echo "check-units: systemd-analyze verify found problems" >&2
        exit 1
    fi
}
verify "$tmp"/units/*
mkdir "$tmp/low-port"
cp "$tmp/units/outpost.service" "$tmp/low-port/"
mkdir "$tmp/low-port/outpost.service.d"
cp systemd/outpost-low-port.conf "$tmp/low-port/outpost.service.d/"
verify "$tmp/low-port/outpost.service"
echo "check-units: systemd-analyze verify: OK"

exposure() {
    systemd-analyze security --offline=yes "$1" 2>&1 |
        sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p'
}

status=0
check() {
    score=$(exposure "$1")
    [ -n "$score" ] || { echo "check-units: no score for $1" >&2; status=1; return; }
    verdict=$(awk -v s="$score" -v m="$max" 'BEGIN { print (s <= m) ? "OK" : "TOO HIGH" }')
    echo "check-units: $2: exposure $score ($verdict, limit $max)"
    [ "$verdict" = OK ] || status=1
}

for unit in "$tmp"/units/*.service; do
    check "$unit" "$(basename "$unit")"
done
check "$tmp/low-port/outpost.service" "outpost.service with outpost-low-port.conf"
exit $status
