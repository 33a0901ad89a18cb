#!/bin/sh
# Builds outpost as one fully static x86_64 Linux binary, proves that it is
# static, and prints its size.
#
#   scripts/build-static.sh            # musl; falls back to glibc + crt-static
#   OUTPOST_STATIC=glibc scripts/build-static.sh
#
# The binary lands in target/x86_64-unknown-linux-musl/release/outpost
# (or target/x86_64-unknown-linux-gnu/release/outpost for the glibc fallback)
# and the script prints the path last.
#
# musl needs the Rust target (rustup target add) and a C compiler for ring's
# C and assembly parts (Debian: musl-tools); the script installs both when it
# can. TLS uses rustls with the ring provider either way: no OpenSSL.
set -eu

cd "$(dirname "$0")/.."

log() { printf 'build-static: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

# Debian/Ubuntu: installs packages, waiting for another apt to finish.
apt_install() {
    command -v apt-get >/dev/null || return 1
    as_root apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@" \
        || { as_root apt-get -o DPkg::Lock::Timeout=300 update \
             && as_root apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends "$@"; }
}

has_rust_target() {
    rustc --print sysroot >/dev/null 2>&1 || return 1
    [ -d "$(rustc --print sysroot)/lib/rustlib/$1/lib" ]
}

musl_ready() {
    if ! has_rust_target x86_64-unknown-linux-musl; then
        command -v rustup >/dev/null || { log "no rustup to add the musl target"; return 1; }
        log "adding the Rust target x86_64-unknown-linux-musl"
        rustup target add x86_64-unknown-linux-musl || return 1
    fi
    if ! command -v musl-gcc >/dev/null && ! command -v x86_64-linux-musl-gcc >/dev/null; then
        log "installing musl-tools (musl-gcc, for ring's C code)"
        apt_install musl-tools || { log "cannot install musl-tools"; return 1; }
    fi
}

flavour=${OUTPOST_STATIC:-musl}
if [ "$flavour" = musl ] && ! musl_ready; then
    log "musl is not available here; falling back to glibc with crt-static"
    flavour=glibc
fi

case "$flavour" in
musl)
    target=x86_64-unknown-linux-musl
    log "building for $target"
    cargo build --release --locked --target "$target" --bin outpost
    ;;
glibc)
    target=x86_64-unknown-linux-gnu
    log "building for $target with crt-static"
    # --target keeps RUSTFLAGS away from build scripts and proc macros,
    # which must stay dynamic; crt-static then links a static-pie.
    RUSTFLAGS="${RUSTFLAGS:-} -C target-feature=+crt-static" \
        cargo build --release --locked --target "$target" --bin outpost
    ;;
*) die "OUTPOST_STATIC must be musl or glibc, not $flavour" ;;
esac

bin="target/$target/release/outpost"
[ -x "$bin" ] || die "$bin was not built"

# Proof, twice over: file(1) reads the ELF headers, ldd(1) asks the loader.
command -v file >/dev/null || apt_install file || die "file(1) is missing"
described=$(file -L "$bin")
log "file: $described"
case "$described" in
*"statically linked"* | *"static-pie linked"*) ;;
*) die "file(1) does not call $bin static" ;;
esac
ldd_out=$(ldd "$bin" 2>&1 || true)
log "ldd: $ldd_out"
case "$ldd_out" in
*"not a dynamic executable"* | *"statically linked"*) ;;
*) die "ldd(1) finds dynamic dependencies in $bin" ;;
esac
"$bin" --version >/dev/null || die "$bin does not run"

bytes=$(stat -c %s "$bin")
log "static $flavour binary, $bytes bytes ($((bytes / 1024 / 1024)) MiB)"
echo "$bin"
