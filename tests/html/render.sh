#!/usr/bin/env bash
# Renders a gate report page in headless Chromium: writes a screenshot and prints the rendered DOM.
# Usage: bash tests/html/render.sh REPORT.html OUT.png   (DOM on stdout, diagnostics on stderr)
#        bash tests/html/render.sh --install            (only make sure Chromium is there)
# RENDER_WINDOW=1200,4000 changes the viewport (and so the screenshot) size; 1200,2400 by default.
#
# 1. Find Chromium (chromium, chromium-browser or google-chrome on PATH).
# 2. If there is none, install Debian's `chromium` with apt-get (needs root), or fail.
# 3. Take the screenshot; fail unless OUT.png exists and is not empty.
# 4. Dump the DOM after layout to stdout, so a test can assert on what the browser saw.
set -euo pipefail

die() { echo "render.sh: $*" >&2; exit 1; }

install_only=false
if [ "${1:-}" = "--install" ]; then
  install_only=true
else
  [ $# -eq 2 ] || die "usage: bash tests/html/render.sh REPORT.html OUT.png  (or --install)"
  html=$1
  png=$2
  [ -s "$html" ] || die "no such page or empty: $html"
fi

find_chromium() {
  local c
  for c in chromium chromium-browser google-chrome; do
    if command -v "$c" >/dev/null 2>&1; then
      command -v "$c"
      return 0
    fi
  done
  return 1
}

if ! browser=$(find_chromium); then
  [ "$(id -u)" -eq 0 ] || die "Chromium is missing and installing it needs root"
  echo "render.sh: installing Debian's chromium (apt-get)..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >&2 \
    || die "apt-get install chromium failed"
  browser=$(find_chromium) || die "chromium installed but not found on PATH"
fi
if $install_only; then
  echo "render.sh: $("$browser" --version 2>/dev/null || echo "$browser")" >&2
  exit 0
fi

# Absolute paths, whatever directory we were called from (Chromium resolves them against its own).
abs() {
  local dir
  dir=$(cd "$(dirname "$1")" && pwd) || die "no such directory: $(dirname "$1")"
  echo "$dir/$(basename "$1")"
}
url="file://$(abs "$html")"
png_abs=$(abs "$png")
rm -f "$png_abs"

# --no-sandbox: we run as root, where Chromium's sandbox refuses to start.
# A throwaway profile keeps runs independent and leaves nothing in $HOME.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run
  --disable-dev-shm-usage --user-data-dir="$profile" --window-size="${RENDER_WINDOW:-1200,2400}")

"$browser" "${flags[@]}" --screenshot="$png_abs" "$url" >/dev/null 2>"$profile/screenshot.log" \
  || { cat "$profile/screenshot.log" >&2; die "chromium failed taking the screenshot"; }
[ -s "$png_abs" ] || { cat "$profile/screenshot.log" >&2; die "no screenshot written: $png_abs"; }

"$browser" "${flags[@]}" --dump-dom "$url" 2>"$profile/dom.log" \
  || { cat "$profile/dom.log" >&2; die "chromium failed dumping the DOM"; }
echo "render.sh: screenshot $png_abs ($(stat -c %s "$png_abs") bytes)" >&2
