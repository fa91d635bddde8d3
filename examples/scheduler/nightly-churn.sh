#!/usr/bin/env bash
# Nightly churn scoring, published with lastgood. Meant for cron:
#
#   # m  h  dom mon dow  command
#   30  2  *   *   *    LASTGOOD_ROOT=s3://ml-out/lake /opt/churn/nightly-churn.sh >>/var/log/churn/nightly.log 2>&1
#
# (cron has a minimal PATH and environment: give LASTGOOD_ROOT, and LASTGOOD / PATH if lastgood is
# not in /usr/local/bin:/usr/bin:/bin; cron mails anything printed if MAILTO is set.)
#
# What it does: runs the scoring job into a fresh folder for tonight, then
#   lastgood publish churn_scores OUT/ --json
# and turns lastgood's exit code into an action (see examples/scheduler/README.md):
#   0  promoted (or an idempotent re-run): done, exit 0
#   3  gates failed: alert with the failed gates; the pointer stays on the last good version, so
#      consumers keep yesterday's scores; exit 3, no retry (the data will not change by retrying)
#   4  refused by policy (the dataset is frozen: the version is sealed and gated but not promoted;
#      content reverted before; an id with other content): alert, exit 4, no retry (a person
#      decides; after `lastgood unfreeze`, re-running this script promotes the sealed version)
#   5  conflict, the pointer moved underneath: retry with backoff, up to 3 times. publish is
#      idempotent: the retry finds the version it already sealed and judges it against the new
#      pointer
#   2  bad input (missing/invalid files, bad name, a store object that does not verify): alert,
#      exit 2, no retry
#   1  unexpected (store, I/O): retry once, then alert (126/127, lastgood not found: alert, no retry)
#
# Settings (environment): LASTGOOD_ROOT (required unless lastgood.toml sets root), LASTGOOD (the
# binary, default `lastgood`), DATASET (churn_scores), OUT_BASE (/data/churn/out), SCORE_CMD (the
# scoring command; it gets the output folder as its last argument), MODEL (recorded as --meta
# model=…), ALERT_CMD (gets the message on stdin and the subject as $1; default: print to stderr),
# BACKOFF_SECONDS (30: 30 s, 60 s, 120 s between conflict retries), LOCK_FILE.
set -euo pipefail

LASTGOOD=${LASTGOOD:-lastgood}
DATASET=${DATASET:-churn_scores}
OUT_BASE=${OUT_BASE:-/data/churn/out}
SCORE_CMD=${SCORE_CMD:-python -m churn.score --out}
MODEL=${MODEL:-churn-v1}
ALERT_CMD=${ALERT_CMD:-}
BACKOFF_SECONDS=${BACKOFF_SECONDS:-30}
LOCK_FILE=${LOCK_FILE:-/tmp/nightly-churn.$DATASET.lock}
MAX_CONFLICT_RETRIES=3

night=$(date -u +%Y-%m-%d)
out="$OUT_BASE/$night"
log() { printf '%s nightly-churn: %s\n' "$(date -u +%FT%TZ)" "$*" >&2; }

alert() { # alert SUBJECT, body on stdin
  if [[ -n $ALERT_CMD ]]; then
    $ALERT_CMD "$1" || log "alert command failed: $ALERT_CMD"
  else
    log "ALERT: $1"
    sed 's/^/    /' >&2
  fi
}

failed_gates() { # the failed gates of a publish --json document, one a line
  python3 - "$1" <<'EOF' 2>/dev/null || echo "(see the report named in the publish output)"
import json, sys
doc = json.loads(sys.argv[1])
print(f"version {doc['version']} judged against {doc['baseline']}; report {doc['report']}")
for g in doc["gates"]:
    if not g["passed"]:
        print(f"{g['outcome'].upper()} {g['name']}({g['column'] or '-'}): {g['message']}")
EOF
}

why_refused() { # the reason in a refused publish's --json: "frozen" (publish document) or error.message
  python3 - "$1" <<'EOF' 2>/dev/null || printf '%s\n' "$1"
import json, sys
doc = json.loads(sys.argv[1])
if doc.get("frozen"):
    print(f"sealed {doc['version']} (gates passed: {doc['passed']}) but not promoted: {doc['frozen']}")
else:
    print(doc["error"]["message"])
EOF
}

# One run at a time: a slow night must not overlap the next one.
exec 9>"$LOCK_FILE"
if ! flock -n 9; then
  log "another run holds $LOCK_FILE; not starting"
  exit 0
fi

# 1. Score into a fresh folder (only files from this run are published).
rm -rf "$out"
mkdir -p "$out"
log "scoring into $out"
if ! $SCORE_CMD "$out"; then
  echo "the scoring command failed: $SCORE_CMD $out" | alert "churn scoring failed ($night)"
  exit 1
fi

# 2. Publish, mapping exit codes to actions.
conflicts=0
unexpected=0
while true; do
  rc=0
  result=$("$LASTGOOD" publish "$DATASET" "$out/" --json \
    --meta "model=$MODEL" --meta "night=$night" --message "nightly $night") || rc=$?
  case $rc in
    0)
      log "published: $result"
      exit 0
      ;;
    3)
      failed_gates "$result" | alert "churn $night: gates failed, consumers keep the last good version"
      exit 3
      ;;
    4)
      { why_refused "$result"; echo "see: $LASTGOOD pointer show $DATASET"; } |
        alert "churn $night: publish refused by policy"
      exit 4
      ;;
    5)
      if (( conflicts >= MAX_CONFLICT_RETRIES )); then
        echo "$result" | alert "churn $night: pointer kept moving, gave up after $conflicts retries"
        exit 5
      fi
      delay=$(( BACKOFF_SECONDS * (1 << conflicts) ))
      conflicts=$(( conflicts + 1 ))
      log "conflict (the pointer moved underneath); retry $conflicts/$MAX_CONFLICT_RETRIES in ${delay}s"
      sleep "$delay"
      ;;
    2)
      echo "$result" | alert "churn $night: bad input, not retried"
      exit 2
      ;;
    126|127)
      echo "cannot run $LASTGOOD (exit $rc): set LASTGOOD or PATH" | alert "churn $night: lastgood not found"
      exit "$rc"
      ;;
    *)
      if (( unexpected >= 1 )); then
        echo "$result" | alert "churn $night: publish failed twice (exit $rc)"
        exit "$rc"
      fi
      unexpected=1
      log "unexpected failure (exit $rc); retrying once in ${BACKOFF_SECONDS}s"
      sleep "$BACKOFF_SECONDS"
      ;;
  esac
done
