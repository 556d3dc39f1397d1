#!/usr/bin/env bash
# Install the system services the scale-out and browser tests need, on Debian bookworm as root:
# PostgreSQL (the tests start their own throwaway cluster with its binaries; no system cluster is
# started or needed) and Chromium with its driver (driven headless over the DevTools protocol;
# nothing is downloaded by the tests themselves). Idempotent: a second run installs nothing.
#
#     sudo scripts/ci_services.sh        # then: make test  (postgres/browser tests now run)
set -euo pipefail

if [[ "$(id -u)" -ne 0 ]]; then
    echo "ci_services.sh: must run as root (it installs Debian packages)" >&2
    exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
    echo "ci_services.sh: needs apt-get (Debian bookworm); install postgresql and chromium yourself" >&2
    exit 1
fi

packages=(postgresql postgresql-contrib chromium chromium-driver fonts-dejavu-core)
missing=()
for pkg in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$pkg")
    fi
done

if ((${#missing[@]})); then
    echo "ci_services.sh: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -q
    # policy-rc.d: Debian's postgresql package would start a system cluster on install; the tests
    # start their own on a free loopback port, so keep the image free of a stray server.
    policy=/usr/sbin/policy-rc.d
    created_policy=0
    if [[ ! -e "$policy" ]]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod +x "$policy"
        created_policy=1
    fi
    apt-get install -y -q --no-install-recommends "${missing[@]}"
    if ((created_policy)); then
        rm -f "$policy"
    fi
else
    echo "ci_services.sh: postgresql and chromium already installed"
fi

# The tests find initdb/pg_ctl on PATH or under /usr/lib/postgresql/<version>/bin; report which.
pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
chromium_bin="$(command -v chromium || true)"
echo "ci_services.sh: postgres binaries: ${pg_bin:-none}; chromium: ${chromium_bin:-none}"
if [[ -z "$pg_bin" || -z "$chromium_bin" ]]; then
    echo "ci_services.sh: installation incomplete" >&2
    exit 1
fi
