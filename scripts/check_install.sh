#!/usr/bin/env bash
# Install evidex as a user does, from the built wheel, into a clean virtual
# environment with no extras, and run the commands a new user runs first.
# Also builds the sdist and checks that it builds a wheel with the same files.
# Run by .ci/run (make check-install).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python3}
WORK=$(mktemp -d)
trap 'kill "${SERVER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

echo "== building the wheel and the sdist"
.venv/bin/python -m pip install --quiet build
.venv/bin/python -m build --quiet --outdir "$WORK/dist" . >/dev/null
WHEEL=$(ls "$WORK"/dist/evidex-*.whl)
SDIST=$(ls "$WORK"/dist/evidex-*.tar.gz)

echo "== the sdist builds a wheel with the same files"
.venv/bin/python -m pip wheel --quiet --no-deps --no-build-isolation -w "$WORK/from-sdist" "$SDIST" 2>/dev/null \
    || .venv/bin/python -m pip wheel --quiet --no-deps -w "$WORK/from-sdist" "$SDIST"
diff <(unzip -Z1 "$WHEEL" | grep -v dist-info | sort) \
     <(unzip -Z1 "$WORK"/from-sdist/evidex-*.whl | grep -v dist-info | sort)

echo "== pip install the wheel, no extras, into a clean venv"
"$PYTHON" -m venv "$WORK/venv"
"$WORK/venv/bin/python" -m pip install --quiet --upgrade pip
# As in a venv made by Python 3.12 or later or by uv: no setuptools unless evidex asks for it.
"$WORK/venv/bin/python" -m pip uninstall --quiet --yes setuptools
"$WORK/venv/bin/python" -m pip install --quiet "$WHEEL"
export EVIDEX_DATA_DIR="$WORK/data"
cd "$WORK"  # nothing from the checkout on the path
EVIDEX="$WORK/venv/bin/evidex"
"$EVIDEX" --help >/dev/null
"$WORK/venv/bin/python" -m evidex --help >/dev/null
"$EVIDEX" corpus stats
"$EVIDEX" ask "Does exercise help chronic low back pain?" >"$WORK/answer.txt"
head -12 "$WORK/answer.txt"
"$EVIDEX" db upgrade

echo "== evidex serve answers from the installed package (templates, static files, migrations)"
PORT=$("$WORK/venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$EVIDEX" serve --port "$PORT" >"$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 120); do
    curl -sf "http://127.0.0.1:$PORT/api/health" >/dev/null && break
    sleep 0.5
done
curl -sf "http://127.0.0.1:$PORT/api/health"; echo
curl -sf "http://127.0.0.1:$PORT/" | grep -q "<form" || { echo "home page has no question form"; cat "$WORK/serve.log"; exit 1; }
curl -sf "http://127.0.0.1:$PORT/static/evidex.css" >/dev/null
echo "== the installed wheel works"
