#!/usr/bin/env bash
# Installs what the portal needs on a fresh Debian machine: apt packages (where missing),
# a virtualenv in .venv and the Python packages from pyproject.toml. Safe to run repeatedly.
# Usage: scripts/bootstrap.sh run|test
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-run}"

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

apt_packages=(
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 # WeasyPrint
  fonts-noto-cjk                                        # CJK fonts for letters
  gettext                                               # compilemessages
)
if ! python3 -m venv --help >/dev/null 2>&1 || ! python3 -c "import ensurepip" >/dev/null 2>&1; then
  apt_packages+=(python3-venv)
fi
if [ "$mode" = test ]; then
  apt_packages+=(chromium poppler-utils)
  command -v npm >/dev/null 2>&1 || apt_packages+=(npm)  # axe-core for the browser tests
  command -v pg_ctlcluster >/dev/null 2>&1 || command -v postgres >/dev/null 2>&1 || apt_packages+=(postgresql)
  command -v redis-server >/dev/null 2>&1 || apt_packages+=(redis-server)
fi
missing=()
for pkg in "${apt_packages[@]}"; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> apt-get install ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.installed-$mode-$(sha1sum pyproject.toml | cut -c1-12)"
if [ ! -f "$stamp" ]; then
  echo "==> pip install ($mode)"
  .venv/bin/python -m pip install -q --upgrade pip "setuptools<81" wheel
  # XStatic-Bootstrap ships only an sdist whose setup needs pkg_resources (setuptools<81).
  .venv/bin/python -m pip install -q --no-build-isolation "XStatic-Bootstrap>=5.3"
  extras=""
  [ "$mode" = test ] && extras="[test]"
  .venv/bin/python -m pip install -q -e ".$extras"
  touch "$stamp"
fi
if [ "$mode" = test ]; then
  # axe-core (accessibility checks injected by Playwright) from its npm package, pinned by
  # package-lock.json; node_modules/ is not committed.
  lock_stamp="node_modules/.installed-$(sha1sum package-lock.json | cut -c1-12)"
  if [ ! -f "$lock_stamp" ]; then
    echo "==> npm ci (axe-core)"
    npm ci --no-audit --no-fund --loglevel=error
    touch "$lock_stamp"
  fi
fi
.venv/bin/python manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0
