#!/usr/bin/env bash
# Make sure the PostgreSQL 15 server binaries (initdb, pg_ctl, postgres) are installed, for the learner-store
# tests and benchmarks/class.py. Installs Debian's postgresql-15 with apt-get when they are missing and fails
# loudly (non-zero exit, a message saying what to do) when it cannot. Never skips.
#
# Tests running as root start the server as the unprivileged `postgres` user (initdb refuses root); the
# Debian package creates that user, and this script creates it if the binaries came from elsewhere.
set -euo pipefail

PG_BIN=/usr/lib/postgresql/15/bin
need=(initdb pg_ctl postgres)

have_binaries() {
    local b
    for b in "${need[@]}"; do
        [[ -x "$PG_BIN/$b" ]] || return 1
    done
}

if ! have_binaries; then
    echo "ensure_postgres: PostgreSQL 15 server binaries not found in $PG_BIN; installing postgresql-15" >&2
    if ! command -v apt-get >/dev/null 2>&1; then
        echo "ensure_postgres: ERROR: apt-get is not available; install PostgreSQL 15 (server) by hand so that" \
             "$PG_BIN/initdb exists" >&2
        exit 1
    fi
    SUDO=()
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1; then SUDO=(sudo); else
            echo "ensure_postgres: ERROR: not root and no sudo; run as root: apt-get update && apt-get install -y postgresql-15" >&2
            exit 1
        fi
    fi
    if ! "${SUDO[@]}" apt-get update || ! DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y --no-install-recommends postgresql-15; then
        echo "ensure_postgres: ERROR: apt-get could not install postgresql-15; install it by hand" \
             "(apt-get install postgresql-15)" >&2
        exit 1
    fi
    if ! have_binaries; then
        echo "ensure_postgres: ERROR: postgresql-15 installed but $PG_BIN/initdb is still missing" >&2
        exit 1
    fi
fi

if [[ "$(id -u)" == 0 ]] && ! id -u postgres >/dev/null 2>&1; then
    echo "ensure_postgres: creating the unprivileged system user 'postgres' (initdb refuses to run as root)" >&2
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
if [[ "$(id -u)" == 0 ]] && ! command -v runuser >/dev/null 2>&1; then
    echo "ensure_postgres: ERROR: runuser (util-linux) is needed to start PostgreSQL as 'postgres'" >&2
    exit 1
fi

echo "ensure_postgres: ok ($("$PG_BIN/postgres" --version))"
