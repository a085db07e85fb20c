#!/usr/bin/env bash
# Installs the database servers and clients that the preset tests run against (PostgreSQL, MariaDB, Redis)
# and busybox (to run the preset scripts under the shell and tools of Alpine-based images), from Debian
# packages. Only what is missing is installed. The distribution's services are not started: the tests start
# their own instances on loopback, in temp dirs.
set -euo pipefail

log() { printf '[install-databases] %s\n' "$*" >&2; }

# Test files may run this at the same time; the second waits and then finds nothing missing.
exec 9>"${TMPDIR:-/tmp}/consistent-backup-install-databases.lock"
command -v flock >/dev/null && flock 9

missing=()
compgen -G '/usr/lib/postgresql/*/bin/postgres' >/dev/null || missing+=(postgresql)
command -v psql >/dev/null || missing+=(postgresql-client)
command -v mariadbd >/dev/null || missing+=(mariadb-server)
command -v mariadb >/dev/null || missing+=(mariadb-client)
command -v redis-server >/dev/null || missing+=(redis-server)
command -v redis-cli >/dev/null || missing+=(redis-tools)
command -v busybox >/dev/null || missing+=(busybox)
if [ "${#missing[@]}" -eq 0 ]; then
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  log "missing packages: ${missing[*]}; run this script as root (it uses apt-get)"
  exit 1
fi
command -v apt-get >/dev/null || { log "missing packages: ${missing[*]}, and apt-get is not available"; exit 1; }

# invoke-rc.d asks policy-rc.d whether a package's postinst may start its service; 101 means "no". An
# existing policy is left as it is; one we add is removed again.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  trap 'rm -f "$policy"' EXIT
fi

log "installing ${missing[*]} (a few minutes on a fresh machine)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends -o DPkg::Lock::Timeout=300 "${missing[@]}" >/dev/null
log "installed ${missing[*]}"
