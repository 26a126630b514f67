#!/usr/bin/env bash
# Sets up everything newsdesk needs on a fresh Debian/Ubuntu machine, idempotently and without
# standard input: system packages (Java for Elasticsearch, Maven to fetch it), the virtual
# environment from the pinned lock file, the package itself, and the Elasticsearch build.
# Repeated runs take seconds: uv's cache (~/.cache/uv) and the Elasticsearch download
# (NEWSDESK_CACHE_DIR) live outside the repository.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m[setup]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[31m[setup] FAILED: %s\033[0m\n' "$*" >&2; exit 1; }

export DEBIAN_FRONTEND=noninteractive
# Some machines reach the registries through a TLS-inspecting proxy whose CA is only in the
# system bundle; make uv (which has its own roots) trust that bundle too.
if [ -z "${SSL_CERT_FILE:-}" ] && [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  export SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
fi

apt_packages=()
java_ok() { command -v java >/dev/null && java -version 2>&1 | grep -qE 'version "(1[7-9]|[2-9][0-9])'; }
java_ok || apt_packages+=(openjdk-17-jre-headless)
command -v mvn >/dev/null || apt_packages+=(maven)
command -v unzip >/dev/null || apt_packages+=(unzip)
if [ "${NEWSDESK_SKIP_BROWSER:-0}" != 1 ]; then
  command -v chromium >/dev/null || apt_packages+=(chromium chromium-driver)
fi
if [ ${#apt_packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing system packages: ${apt_packages[*]}"
    apt-get update -qq || die "apt-get update"
    apt-get install -y -qq --no-install-recommends "${apt_packages[@]}" >/dev/null || die "apt-get install ${apt_packages[*]}"
  else
    die "missing system packages: ${apt_packages[*]} (install them, or run this script as root on Debian/Ubuntu)"
  fi
fi

PY=${NEWSDESK_PYTHON:-python3}
"$PY" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "Python 3.11+ is required ($PY is $("$PY" -V 2>&1))"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv"
  "$PY" -m venv .venv || die "python -m venv"
fi
if ! .venv/bin/uv --version >/dev/null 2>&1; then
  .venv/bin/python -m pip install -q --disable-pip-version-check "uv==0.13.8" || die "pip install uv"
fi
say "installing the locked dependencies (requirements.lock)"
.venv/bin/uv pip sync -q --python .venv/bin/python requirements.lock || die "uv pip sync requirements.lock"
.venv/bin/uv pip install -q --python .venv/bin/python --no-deps -e . || die "uv pip install -e ."

say "fetching Elasticsearch (cached after the first time)"
.venv/bin/newsdesk es install >&2 || die "newsdesk es install"
say "ready"
