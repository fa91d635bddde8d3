#!/usr/bin/env bash
# A local Azure Blob server for the Azure tests: Azurite (Microsoft's emulator), from npm.
#
# Usage:
#   bash tests/azure/azurite.sh start DIR   # start (or reuse) a server with its state under DIR
#   bash tests/azure/azurite.sh stop DIR    # stop it
#
# `start` installs azurite (pinned) with npm into ${LASTGOOD_TEST_AZURITE_DIR:-~/.cache/lastgood/azurite-VERSION}
# (reused when already there), starts its blob service on 127.0.0.1 (a free port), with
# --disableTelemetry (without it Azurite tries to reach a telemetry endpoint off the machine and
# then ignores SIGTERM) and in-memory persistence (DIR holds only its log, pid and env), waits until it answers a signed request, creates
# the container `lastgood-test`, and writes DIR/env (export lines to `source`) and DIR/pid. The
# server keeps running after the script exits (own session): call `stop DIR` when done.
#
# The env selects object_store's emulator mode (AZURE_STORAGE_USE_EMULATOR=true: the well-known
# devstoreaccount1 account and key, plain HTTP allowed) pointed at this port
# (AZURITE_BLOB_STORAGE_URL), so every request stays on 127.0.0.1.
#
# Needs: bash, node (>= 20) and npm, python3 (to pick a port and sign the container request).
# Knobs: LASTGOOD_AZURITE_VERSION, LASTGOOD_TEST_AZURITE_DIR, LASTGOOD_TEST_AZURE_TIMEOUT (s, 60).
set -euo pipefail

AZURITE_VERSION=${LASTGOOD_AZURITE_VERSION:-3.37.0}
PREFIX=${LASTGOOD_TEST_AZURITE_DIR:-$HOME/.cache/lastgood/azurite-$AZURITE_VERSION}
TIMEOUT=${LASTGOOD_TEST_AZURE_TIMEOUT:-60}
CONTAINER=lastgood-test
ACCOUNT=devstoreaccount1
# Azurite's published, well-known development key (not a secret).
KEY='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

die() { echo "azurite.sh: $*" >&2; exit 1; }
usage() { die "usage: $0 start|stop DIR"; }

is_our_azurite() {
  local pid=$1 dir=$2 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ -f $dir/port && $cmdline == *azurite-blob* && $cmdline == *"--blobPort $(cat "$dir/port") "* ]]
}

ensure_azurite() {
  local log=$1
  command -v node >/dev/null || die "node is not installed (Azurite needs Node.js >= 20 and npm)"
  command -v npm >/dev/null || die "npm is not installed"
  mkdir -p "$(dirname "$PREFIX")"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$PREFIX.lock"
      flock 9
    fi
    [[ -x $PREFIX/node_modules/.bin/azurite-blob ]] && exit 0
    npm install --prefix "$PREFIX" --no-fund --no-audit --no-save --loglevel=error \
      "azurite@$AZURITE_VERSION" >"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      die "npm install azurite@$AZURITE_VERSION into $PREFIX failed"
    }
    [[ -x $PREFIX/node_modules/.bin/azurite-blob ]] || die "azurite@$AZURITE_VERSION installed no azurite-blob"
  )
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Waits until the blob service answers, then creates the container (Shared Key signed).
# Exit status: 0 ready, 3 azurite exited, 4 timed out.
wait_ready() {
  python3 - "$1" "$2" "$3" "$ACCOUNT" "$KEY" "$CONTAINER" <<'PY'
import base64, hashlib, hmac, http.client, os, sys, time
from email.utils import formatdate
pid, port, timeout, account, key, container = sys.argv[1:]
pid, port, deadline = int(pid), int(port), time.monotonic() + float(timeout)

def create_container():
    path = f"/{account}/{container}"
    date, version = formatdate(usegmt=True), "2021-08-06"
    to_sign = "\n".join(["PUT", "", "", "", "", "", "", "", "", "", "", "",
                         f"x-ms-date:{date}\nx-ms-version:{version}",
                         f"/{account}{path}\nrestype:container"])
    sig = base64.b64encode(hmac.new(base64.b64decode(key), to_sign.encode(), hashlib.sha256).digest()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("PUT", f"{path}?restype=container", headers={
            "x-ms-date": date, "x-ms-version": version, "Content-Length": "0",
            "Authorization": f"SharedKey {account}:{sig}"})
        resp = conn.getresponse()
        return resp.status, resp.read()[:300]
    finally:
        conn.close()

last = "no answer yet"
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print(f"azurite exited before it answered (last: {last})", file=sys.stderr)
        sys.exit(3)
    try:
        status, body = create_container()
        if status in (201, 409):  # created, or already there
            sys.exit(0)
        last = f"HTTP {status} {body!r}"
    except OSError as e:
        last = repr(e)
    time.sleep(0.25)
print(f"Azurite on 127.0.0.1:{port} not ready after {timeout}s (last: {last})", file=sys.stderr)
sys.exit(4)
PY
}

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local log=$dir/azurite.log
  if [[ -f $dir/pid ]] && is_our_azurite "$(cat "$dir/pid")" "$dir"; then
    if [[ -f $dir/env ]]; then
      # shellcheck disable=SC1091
      echo "Azurite already listening on $(. "$dir/env" && echo "$AZURITE_BLOB_STORAGE_URL") (env in $dir/env)"
      return 0
    fi
    stop "$dir"
  fi
  rm -f "$dir/pid" "$dir/env"
  ensure_azurite "$dir/npm.log"
  local attempt port status=0
  for attempt in 1 2 3; do
    port=$(free_port)
    echo "$port" >"$dir/port"
    (
      cd "$dir"
      exec setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/pid.new" \
        "$PREFIX/node_modules/.bin/azurite-blob" \
        --blobHost 127.0.0.1 --blobPort "$port" \
        --inMemoryPersistence --disableTelemetry --skipApiVersionCheck
    ) </dev/null >"$log" 2>&1 &
    local waited=0
    until [[ -s $dir/pid.new ]]; do
      sleep 0.05
      waited=$((waited + 1))
      [[ $waited -lt 200 ]] || die "azurite did not start; log: $log"
    done
    local pid
    pid=$(cat "$dir/pid.new")
    mv "$dir/pid.new" "$dir/pid"
    status=0
    wait_ready "$pid" "$port" "$TIMEOUT" || status=$?
    [[ $status -eq 0 ]] && break
    if [[ $status -eq 3 ]] && grep -q "EADDRINUSE" "$log" && [[ $attempt -lt 3 ]]; then
      echo "azurite.sh: the port was taken meanwhile; retrying with another" >&2
      continue
    fi
    tail -n 40 "$log" >&2
    stop "$dir" >/dev/null 2>&1 || true
    die "Azurite did not come up (see $log)"
  done

  cat >"$dir/env.new" <<EOF
export AZURE_STORAGE_USE_EMULATOR=true
export AZURITE_BLOB_STORAGE_URL=http://127.0.0.1:$port
export LASTGOOD_TEST_AZURE=az://$CONTAINER
EOF
  mv "$dir/env.new" "$dir/env"
  echo "Azurite listening on http://127.0.0.1:$port (container az://$CONTAINER; env in $dir/env)"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd)
  local pid=""
  [[ -f $dir/pid ]] && pid=$(cat "$dir/pid")
  if [[ -n $pid ]] && is_our_azurite "$pid" "$dir"; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$dir/pid" "$dir/pid.new" "$dir/env" "$dir/port"
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
