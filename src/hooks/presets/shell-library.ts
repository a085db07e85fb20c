/**
 * The POSIX sh functions every preset script carries (dash, busybox ash, bash): marker lines, bounded calls,
 * fully detached background processes, and the self-release timer. Each hook is one `/bin/sh -c` exec, so
 * each script carries the library itself. Every name starts with `cbo_` to stay clear of the image's
 * environment; sh has no local variables, so helpers use names of their own.
 */
export const SHELL_LIBRARY = String.raw`
cbo_say() { printf 'cbo.%s\n' "$*"; }
cbo_fail() {
  cbo_reason=$1
  shift
  printf 'consistent-backup %s %s hook: %s\n' "$CBO_PRESET" "$CBO_PHASE" "$*" >&2
  cbo_say "error preset=$CBO_PRESET phase=$CBO_PHASE reason=$cbo_reason"
  exit 1
}
cbo_first() {
  for cbo_candidate in "$@"; do [ -n "$cbo_candidate" ] && printf '%s' "$cbo_candidate" && return 0; done
  return 0
}
cbo_now() { date +%s; }
cbo_nap() { sleep 0.2 2>/dev/null || sleep 1; }
# Images without timeout(1) still have the clients' own connect timeouts.
cbo_bounded() {
  cbo_limit=$1
  shift
  if command -v timeout >/dev/null 2>&1; then timeout "$cbo_limit" "$@"; else "$@"; fi
}
# A process that exited but was not reaped (an application running as PID 1 may never reap the orphans it
# inherits) still answers kill -0; /proc says it is a zombie.
cbo_alive() {
  [ -n "$1" ] && kill -0 "$1" 2>/dev/null || return 1
  case $(cat "/proc/$1/stat" 2>/dev/null) in *') Z '*) return 1 ;; esac
  return 0
}
cbo_dead() { ! cbo_alive "$1"; }
cbo_wait_until() {
  cbo_deadline=$1
  shift
  until "$@"; do
    [ "$(cbo_now)" -lt "$cbo_deadline" ] || return 1
    cbo_nap
  done
}
# Ends a detached process and the process group it leads, so a timer's sleep goes with it.
cbo_stop() {
  cbo_alive "$1" || return 0
  kill -TERM "-$1" 2>/dev/null || kill -TERM "$1" 2>/dev/null
  cbo_wait_until $(($(cbo_now) + 5)) cbo_dead "$1" && return 0
  kill -KILL "-$1" 2>/dev/null || kill -KILL "$1" 2>/dev/null
  return 0
}
cbo_state_dir() {
  umask 077
  mkdir -p "$CBO_STATE" 2>/dev/null && [ -w "$CBO_STATE" ] ||
    cbo_fail state "cannot write the state directory $CBO_STATE; set the stateDir parameter to a writable directory in the container"
}
cbo_pid_of() { cat "$CBO_STATE/$1.pid" 2>/dev/null; }
cbo_has_pid() { [ -s "$CBO_STATE/$1.pid" ]; }
cbo_refuse_if_running() {
  cbo_pid=$(cbo_pid_of "$1")
  cbo_alive "$cbo_pid" || return 0
  cbo_fail busy "$2 from an earlier pre hook is still in place (pid $cbo_pid); it ends by itself within its freeze budget, or when its post hook runs"
}
# cbo_detach NAME COMMAND...: runs COMMAND so that this exec can end while it goes on. Velero's exec ends only
# when every holder of its stdout/stderr has closed them, so the command gets its own session (setsid, where
# the image has it), stdin from /dev/null and its output in NAME.out. The command writes its own pid to
# NAME.pid, since setsid may fork.
cbo_detach() {
  cbo_name=$1
  shift
  rm -f "$CBO_STATE/$cbo_name.pid" "$CBO_STATE/$cbo_name.pid.tmp"
  cbo_setsid=
  command -v setsid >/dev/null 2>&1 && cbo_setsid=setsid
  $cbo_setsid /bin/sh -c 'trap "" HUP; echo $$ >"$0.pid.tmp" && mv "$0.pid.tmp" "$0.pid" && exec "$@"' \
    "$CBO_STATE/$cbo_name" "$@" </dev/null >"$CBO_STATE/$cbo_name.out" 2>&1 &
  cbo_wait_until $(($(cbo_now) + 10)) cbo_has_pid "$cbo_name"
}
# cbo_arm_release SECONDS COMMAND...: a detached timer runs COMMAND after SECONDS unless cbo_claim_release
# came first. mkdir is atomic, so exactly one of the timer and the post hook performs the release.
cbo_arm_release() {
  cbo_after=$1
  shift
  rm -rf "$CBO_STATE/released"
  cbo_detach timer /bin/sh -c 'sleep "$1"; shift; mkdir "$0" 2>/dev/null || exit 0; echo cbo.expired; exec "$@"' \
    "$CBO_STATE/released" "$cbo_after" "$@"
}
cbo_claim_release() {
  mkdir "$CBO_STATE/released" 2>/dev/null || return 1
  cbo_stop "$(cbo_pid_of timer)"
}
# cbo_secret FILE NAME...: sets cbo_value to the content of FILE when one is given, else to the first
# non-empty variable among NAME... (names are checked before they reach the script).
cbo_secret() {
  cbo_file=$1
  shift
  cbo_value=
  if [ -n "$cbo_file" ]; then
    [ -r "$cbo_file" ] || cbo_fail auth "cannot read the password file $cbo_file"
    cbo_value=$(cat "$cbo_file")
    return 0
  fi
  for cbo_name in "$@"; do
    eval "cbo_value=\${$cbo_name-}"
    [ -n "$cbo_value" ] && return 0
  done
  return 0
}
# cbo_freeze_pre UNDO...: for a freeze that outlives the exec by itself (fsyncLock, fsfreeze): arms the timer
# that runs UNDO after the time to take the freeze plus the freeze budget, then runs the preset's cbo_freeze
# (which bounds itself by CBO_TIMEOUT). The timer is armed first: a freeze that completes after its command
# timed out is still undone.
cbo_freeze_pre() {
  cbo_refuse_if_running timer "$CBO_WHAT"
  cbo_arm_release $((CBO_TIMEOUT + CBO_BUDGET)) "$@" || cbo_fail detach "could not start the self-release timer"
  cbo_out=$(cbo_freeze 2>&1)
  cbo_rc=$?
  if [ "$cbo_rc" = 124 ]; then
    cbo_fail timeout "$CBO_WHAT did not complete within $CBO_TIMEOUT seconds; if it still takes effect, the timer undoes it after the freeze budget"
  fi
  if [ "$cbo_rc" != 0 ]; then
    cbo_claim_release
    rm -f "$CBO_STATE/timer.pid"
    cbo_fail freeze "$CBO_WHAT failed: $cbo_out"
  fi
  cbo_say "ready preset=$CBO_PRESET expiresAfter=$((CBO_TIMEOUT + CBO_BUDGET))s"
}
# cbo_freeze_post UNDO...: undoes the freeze unless the timer already did, which means the snapshot may have
# been taken after the freeze ended. An undo that fails is retried once by a new timer.
cbo_freeze_post() {
  cbo_has_pid timer || cbo_fail no-session "no freeze found in $CBO_STATE: the pre hook did not run in this container, or it used another stateDir"
  if ! cbo_claim_release; then
    rm -f "$CBO_STATE/timer.pid"
    cbo_fail expired "the freeze had already been undone by its timer (timeout + freezeBudget = $((CBO_TIMEOUT + CBO_BUDGET))s) before the post hook ran; the snapshot may include writes made after it; raise freezeBudget"
  fi
  cbo_out=$(cbo_bounded "$CBO_TIMEOUT" "$@" 2>&1)
  if [ $? != 0 ]; then
    cbo_arm_release 10 "$@"
    cbo_fail undo "undoing $CBO_WHAT failed (retried once in 10 seconds): $cbo_out"
  fi
  rm -f "$CBO_STATE/timer.pid"
  cbo_say "released preset=$CBO_PRESET"
}
`;
