#!/bin/sh
# Installs the Outpost appliance on a Debian machine, as root:
#
#   sudo scripts/install.sh [BINARY]
#
# BINARY defaults to the static build (scripts/build-static.sh). Running it
# again is safe: the binary, the units and the documents are replaced, while
# /etc/outpost/outpost.toml, the channel rules there and /var/lib/outpost are
# never overwritten. It does not start anything; it prints what to do next.
#
#   /usr/local/bin/outpost                      the binary
#   /etc/outpost/outpost.toml                   configuration (root:outpost 0640)
#   /etc/outpost/channel-rules.toml             a copy of the built-in channel rules
#   /etc/systemd/system/outpost.service         the unit (+ outpost.service.d/ drop-in
#                                               for a port below 1024)
#   /etc/systemd/system/outpost-backup.{service,timer}   backups every 6 hours
#   /var/lib/outpost                            data (outpost:outpost 0700)
#   /var/backups/outpost                        backups (outpost:outpost 0700)
#   /usr/local/share/doc/outpost/               README, first-boot guide, result codes
set -eu

cd "$(dirname "$0")/.."

say() { printf 'install: %s\n' "$*"; }
die() { printf 'install: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "run as root (sudo $0)"

bin=${1:-}
if [ -z "$bin" ]; then
    for candidate in target/x86_64-unknown-linux-musl/release/outpost \
        target/x86_64-unknown-linux-gnu/release/outpost target/release/outpost; do
        if [ -x "$candidate" ]; then bin=$candidate; break; fi
    done
fi
[ -n "$bin" ] && [ -x "$bin" ] || die "no outpost binary; build it with scripts/build-static.sh or name it"
"$bin" --version >/dev/null || die "$bin does not run on this machine"

# The service user: a system account with no login and no home of its own.
if getent passwd outpost >/dev/null; then
    say "user outpost exists"
else
    adduser --system --group --home /var/lib/outpost --no-create-home \
        --shell /usr/sbin/nologin --gecos "Outpost appliance" outpost
    say "created the system user outpost"
fi

install -D -m 0755 -o root -g root "$bin" /usr/local/bin/outpost
say "installed /usr/local/bin/outpost ($("$bin" --version))"

install -d -m 0750 -o root -g outpost /etc/outpost
# Never replace what the operator may have edited.
keep_or_install() {
    if [ -e "$2" ]; then
        if cmp -s "$1" "$2"; then
            say "$2 is current"
        else
            say "kept $2 (it differs from $1; compare them after an upgrade)"
        fi
    else
        install -m 0640 -o root -g outpost "$1" "$2"
        say "installed $2"
    fi
}
keep_or_install appliance/outpost.toml /etc/outpost/outpost.toml
keep_or_install appliance/channel-rules.toml /etc/outpost/channel-rules.toml

# systemd creates the state directory too, but check-config below wants to
# see it as the service will.
install -d -m 0700 -o outpost -g outpost /var/lib/outpost
install -d -m 0700 -o outpost -g outpost /var/backups/outpost

install -d -m 0755 /usr/local/share/doc/outpost
for doc in README.md appliance/first-boot.md appliance/result-codes.md; do
    install -m 0644 "$doc" /usr/local/share/doc/outpost/
done

for unit in outpost.service outpost-backup.service outpost-backup.timer; do
    install -m 0644 "systemd/$unit" "/etc/systemd/system/$unit"
    say "installed /etc/systemd/system/$unit"
done

# The configuration, checked as the service user will read it.
if ! checked=$(runuser -u outpost -- /usr/local/bin/outpost \
    --config /etc/outpost/outpost.toml check-config 2>&1); then
    printf '%s\n' "$checked" >&2
    die "fix /etc/outpost/outpost.toml, then run this again"
fi
say "configuration OK"

# A port below 1024 needs CAP_NET_BIND_SERVICE, and only then.
port=$(printf '%s\n' "$checked" | sed -n 's/^listen = ".*:\([0-9]*\)"$/\1/p')
dropin=/etc/systemd/system/outpost.service.d/low-port.conf
if [ -n "$port" ] && [ "$port" -lt 1024 ]; then
    install -D -m 0644 systemd/outpost-low-port.conf "$dropin"
    say "port $port: installed $dropin"
elif [ -e "$dropin" ]; then
    rm -f "$dropin"
    rmdir --ignore-fail-on-non-empty "$(dirname "$dropin")"
    say "port $port: removed $dropin"
fi

if [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    if systemctl is-active --quiet outpost; then
        say "outpost is running the old binary: systemctl restart outpost"
    fi
fi

cat <<EOF
install: done. Next (see /usr/local/share/doc/outpost/first-boot.md):
  sudo -u outpost outpost --config /etc/outpost/outpost.toml init --site <block> --name "<branch>"
  sudo -u outpost outpost --config /etc/outpost/outpost.toml user add ...
  systemctl enable --now outpost outpost-backup.timer
EOF
