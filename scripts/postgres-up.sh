#!/usr/bin/env bash
# Make sure a local PostgreSQL 15 answers on 127.0.0.1:5432 for user postgres.
# Starts the Debian cluster when it is down. On a stock Debian cluster, where TCP asks
# for a password, adds `trust` lines for local connections (localhost only) and reloads.
set -euo pipefail

host=127.0.0.1
port=${PGPORT:-5432}

can_connect() { psql -h "$host" -p "$port" -U postgres -d postgres -Atqc "select 1" >/dev/null 2>&1; }

if ! command -v pg_ctlcluster >/dev/null && ! command -v psql >/dev/null; then
    cat >&2 <<MSG
No PostgreSQL found on this machine. FTR needs PostgreSQL 15 with PostGIS 3:
  apt-get install postgresql-15 postgresql-15-postgis-3
or point DATABASE_URL at a server that has them.
MSG
    exit 1
fi

if ! pg_isready -q -h "$host" -p "$port"; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    if [[ -z "$version" ]]; then
        echo "PostgreSQL is not running and no cluster exists (see /etc/postgresql)." >&2
        exit 1
    fi
    echo "Starting PostgreSQL $version ..."
    # pg_ctlcluster exits 2 on a running cluster: only called when it is down.
    pg_ctlcluster --skip-systemctl-redirect "$version" main start
    for _ in $(seq 1 30); do pg_isready -q -h "$host" -p "$port" && break; sleep 0.5; done
fi

if ! can_connect; then
    version=$(ls /etc/postgresql 2>/dev/null | sort -n | tail -1)
    hba="/etc/postgresql/$version/main/pg_hba.conf"
    if [[ -w "$hba" ]] && ! grep -q "# ftr: local trust" "$hba"; then
        echo "Allowing password-less local connections for development in $hba ..."
        tmp=$(mktemp)
        {
            echo "# ftr: local trust (development machine; remove for production)"
            echo "local   all   all                 trust"
            echo "host    all   all   127.0.0.1/32  trust"
            echo "host    all   all   ::1/128       trust"
            cat "$hba"
        } >"$tmp"
        cat "$tmp" >"$hba" && rm -f "$tmp"
        pg_ctlcluster --skip-systemctl-redirect "$version" main reload
        sleep 1
    fi
fi

if ! can_connect; then
    cat >&2 <<MSG
PostgreSQL is running but user postgres cannot connect on $host:$port.
Allow local trust in pg_hba.conf (as root: make postgres), or set DATABASE_URL
with a user and password, e.g. postgresql+psycopg://ftr:secret@127.0.0.1:5432/ftr
MSG
    exit 1
fi
