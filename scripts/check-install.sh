#!/bin/sh
# Runs scripts/install.sh for real, twice, without touching this machine:
# inside a private mount namespace where /etc, /usr/local, /var/lib and
# /var/backups are scratch copies. Checks what it installs, that a second run changes nothing
# the operator owns, that a port below 1024 brings the drop-in and a port
# above takes it away, and that the installed binary works as the outpost
# user. Needs root and unshare(1); prints "check-install: OK" at the end.
#
#   sudo scripts/check-install.sh [BINARY]     (default: target/debug/outpost)
set -eu

cd "$(dirname "$0")/.."

if [ "${1:-}" != --inside ]; then
    [ "$(id -u)" = 0 ] || { echo "check-install: run as root" >&2; exit 1; }
    bin=${1:-target/debug/outpost}
    [ -x "$bin" ] || cargo build --locked --bin outpost
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    cp -a /etc "$tmp/etc"
    mkdir "$tmp/usr-local" "$tmp/var-lib" "$tmp/var-backups"
    exec_status=0
    unshare --mount --propagation private sh -c '
        set -e
        mount --bind "$1/etc" /etc
        mount --bind "$1/usr-local" /usr/local
        mount --bind "$1/var-lib" /var/lib
        mkdir -p /var/backups
        mount --bind "$1/var-backups" /var/backups
        exec "$2" --inside "$3"
    ' sh "$tmp" "$0" "$bin" || exec_status=$?
    exit $exec_status
fi

bin=$2
fail() { echo "check-install: FAILED: $*" >&2; exit 1; }
has() { printf '%s\n' "$1" | grep -q -- "$2" || fail "expected \"$2\" in: $1"; }
mode_of() { stat -c '%a %U:%G' "$1"; }

first=$(scripts/install.sh "$bin" 2>&1) || fail "first run: $first"
has "$first" "created the system user outpost"
has "$first" "installed /etc/outpost/outpost.toml"
has "$first" "configuration OK"
[ "$(mode_of /usr/local/bin/outpost)" = "755 root:root" ] || fail "binary mode"
[ "$(mode_of /etc/outpost/outpost.toml)" = "640 root:outpost" ] || fail "config mode"
[ "$(mode_of /var/lib/outpost)" = "700 outpost:outpost" ] || fail "data dir mode"
for unit in outpost.service outpost-backup.service outpost-backup.timer; do
    [ -f "/etc/systemd/system/$unit" ] || fail "unit $unit"
done
[ "$(mode_of /var/backups/outpost)" = "700 outpost:outpost" ] || fail "backup dir mode"
[ -f /usr/local/share/doc/outpost/first-boot.md ] || fail "docs"
[ ! -e /etc/systemd/system/outpost.service.d/low-port.conf ] || fail "drop-in for port 8443"
getent passwd outpost | grep -q ':/usr/sbin/nologin$' || fail "outpost has a login shell"

# The operator provisions the appliance as the service user.
as_outpost() { runuser -u outpost -- /usr/local/bin/outpost --config /etc/outpost/outpost.toml "$@"; }
as_outpost init --site 17 --name "check-install" >/dev/null || fail "init as outpost"
[ "$(stat -c %U /var/lib/outpost/db)" = outpost ] || fail "store owner"

# What outpost-backup.service runs, as it runs it; and a restore of it.
as_outpost backup --into /var/backups/outpost --keep 8 >/dev/null || fail "backup as outpost"
backup=$(ls -d /var/backups/outpost/backup-*)
restored=$(runuser -u outpost -- mktemp -d)
runuser -u outpost -- /usr/local/bin/outpost --data-dir "$restored" restore --from "$backup" \
    >/dev/null || fail "restore as outpost"
runuser -u outpost -- /usr/local/bin/outpost --data-dir "$restored" verify >/dev/null \
    || fail "verify the restored store"
rm -rf "$restored"

# An edited configuration survives a second run; port 443 gets the drop-in.
sed -i 's/^listen = .*/listen = "0.0.0.0:443"/' /etc/outpost/outpost.toml
second=$(scripts/install.sh "$bin" 2>&1) || fail "second run: $second"
has "$second" "user outpost exists"
has "$second" "kept /etc/outpost/outpost.toml"
has "$second" "/etc/outpost/channel-rules.toml is current"
has "$second" "port 443: installed"
grep -q '^listen = "0.0.0.0:443"$' /etc/outpost/outpost.toml || fail "the edit was lost"
[ -f /etc/systemd/system/outpost.service.d/low-port.conf ] || fail "no drop-in for 443"
as_outpost mode >/dev/null || fail "the store is still usable"

sed -i 's/^listen = .*/listen = "0.0.0.0:8443"/' /etc/outpost/outpost.toml
third=$(scripts/install.sh "$bin" 2>&1) || fail "third run: $third"
has "$third" "port 8443: removed"
[ ! -e /etc/systemd/system/outpost.service.d ] || fail "drop-in directory left behind"

# A broken configuration stops the install with the checker's message.
echo 'listen_port = 1' >>/etc/outpost/outpost.toml
if broken=$(scripts/install.sh "$bin" 2>&1); then fail "a broken config was accepted"; fi
has "$broken" "unknown field \`listen_port\`"

echo "check-install: OK"
