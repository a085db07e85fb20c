# Sourced by the scripts that build into the cache: Go settings, progress lines, and one build at a time.
# Expects SCRIPT_NAME and CACHE_DIR.
export CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN="${GOTOOLCHAIN:-local}"
started=$(date +%s)
log() { printf '[%s %4ss] %s\n' "$SCRIPT_NAME" "$(($(date +%s) - started))" "$*" >&2; }

# A Go build prints nothing for minutes: say that it is still going.
with_heartbeat() {
  local what=$1; shift
  "$@" &
  local pid=$! t=0
  while kill -0 "$pid" 2>/dev/null; do
    sleep 5; t=$((t + 5))
    [ $((t % 30)) -eq 0 ] && log "  still building $what (${t}s)"
  done
  wait "$pid"
}

mkdir -p "$CACHE_DIR"
exec 9>"$CACHE_DIR/.build.lock"
flock 9
