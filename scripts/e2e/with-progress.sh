#!/bin/sh
# Runs a long, quiet command with its output in a log, and says every few seconds that it is still at
# work (elapsed time and the log's last line), so a first `npm start` is not silent for minutes.
# Usage: with-progress.sh <label> <log file> <command> [args...]   (MARATHON_PROGRESS_SECONDS: interval, default 10)
set -u
LABEL="$1"; LOG="$2"; shift 2
EVERY="${MARATHON_PROGRESS_SECONDS:-10}"
"$@" > "$LOG" 2>&1 &
PID=$!
START=$(date +%s)
while kill -0 "$PID" 2>/dev/null; do
  i=0
  while [ "$i" -lt "$EVERY" ] && kill -0 "$PID" 2>/dev/null; do sleep 1; i=$((i + 1)); done
  if kill -0 "$PID" 2>/dev/null; then
    LAST=$(tail -n 1 "$LOG" 2>/dev/null | tr -d '\r' | cut -c1-100)
    echo "  $LABEL: $(( $(date +%s) - START )) s${LAST:+ · $LAST}"
  fi
done
wait "$PID"
CODE=$?
[ "$CODE" -eq 0 ] && echo "  $LABEL: done in $(( $(date +%s) - START )) s"
exit "$CODE"
