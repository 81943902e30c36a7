#!/usr/bin/env bash
# Regenerate the hash-locked requirement files from pyproject.toml (run after adding or
# changing a dependency; commit the three files). Needs uv (a test dependency).
#   requirements/lock.txt   everything: app + test + observability (scripts/bootstrap.sh)
#   requirements/prod.txt   app + observability (Dockerfile)
#   requirements/build.txt  setuptools<81 + wheel, to build the one sdist (XStatic-Bootstrap)
set -euo pipefail
cd "$(dirname "$0")/.."
uv="${UV:-.venv/bin/uv}"
common=(--universal --python-version 3.11 --generate-hashes --quiet)
"$uv" pip compile pyproject.toml --extra test --extra observability "${common[@]}" -o requirements/lock.txt
"$uv" pip compile pyproject.toml --extra observability "${common[@]}" -o requirements/prod.txt
"$uv" pip compile requirements/build.in "${common[@]}" -o requirements/build.txt
