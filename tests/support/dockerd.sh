# A private, throw-away Docker daemon for tests and benchmarks (sourced, never
# run). Debian's docker.io (dockerd 20.10) runs here without any host set-up
# when it is told to keep to itself: vfs storage (no overlay mounts), no
# bridge, no iptables, no ip forwarding, and every path it writes (data root,
# exec root with its own containerd, pid file, unix socket, daemon.json, the
# client's config) under one mktemp directory. Nothing touches
# /var/lib/docker, /run/docker or /var/run/docker.sock, so several tests (and
# several engineers) can each run their own daemon at the same time.
#
# The daemon is stopped by its pid, never by name: dockerd_stop sends TERM,
# waits, then KILLs whatever process still runs from our private directory
# (its containerd, shims), unmounts what is left under it and removes it.
# dockerd_start registers dockerd_stop with tests/integration/lib.sh's
# sb_on_exit when that is loaded, else chains it in front of the EXIT trap
# already set (keeping the script's exit code), and a watchdog stops the
# daemon if the calling shell dies without running its traps (SIGKILL, a
# ctest timeout).
#
#   source "$SLIMBUILD_SOURCE_DIR/tests/support/dockerd.sh"
#   dockerd_start [EXTRA_DOCKERD_ARGS...]   # exports DOCKER_HOST; sets DOCKERD_DIR, DOCKERD_PID
#   docker load -i img.tar                  # plain `docker` (or "$DOCKER_BIN") talks to it
#   docker run --rm --network none ...      # no network exists but none/host
#   dockerd_stop                            # optional: the trap does it too
#
# Plain-http registries on 127.0.0.0/8 need no flag: dockerd treats loopback
# registries as insecure by default. DOCKERD_START_TIMEOUT (seconds, default
# 90) bounds the wait for `docker info` to answer.
# shellcheck shell=bash

# The docker.io client matches the daemon; another `docker` earlier on PATH
# (a newer static client) would also work but is not what setup.sh installs.
if [[ -z ${DOCKER_BIN:-} ]]; then
  if [[ -x /usr/bin/docker ]]; then DOCKER_BIN=/usr/bin/docker; else DOCKER_BIN=$(command -v docker || true); fi
fi
DOCKERD_BIN=${DOCKERD_BIN:-$(command -v dockerd || echo /usr/sbin/dockerd)}
DOCKERD_DIR=""
DOCKERD_PID=""
_DOCKERD_WATCHDOG=""

# docker ARGS...: the client of the private daemon (a function, so a test's
# `docker` never reaches the host's daemon or another client by accident).
docker() {
  [[ -n $DOCKERD_DIR ]] || { echo "docker: dockerd_start was not called" >&2; return 1; }
  "$DOCKER_BIN" "$@"
}

_dockerd_fail() {
  if declare -F fail >/dev/null; then fail "$@"; fi
  echo "FAIL: $*" >&2
  exit 1
}

# dockerd_start [EXTRA_DOCKERD_ARGS...]: starts the daemon and waits until it
# answers. Fails the test (with the daemon's log) if it does not.
dockerd_start() {
  [[ -z $DOCKERD_PID ]] || _dockerd_fail "dockerd_start: a daemon is already running (pid $DOCKERD_PID)"
  [[ $(id -u) -eq 0 ]] || { echo "skip: dockerd needs root" >&2; exit 77; }
  [[ -x $DOCKERD_BIN && -n $DOCKER_BIN ]] ||
    _dockerd_fail "dockerd/docker are not installed (scripts/setup.sh installs docker.io)"
  # Short path: the socket path must fit in sun_path (108 bytes).
  DOCKERD_DIR=$(mktemp -d /tmp/sbdk.XXXXXX)
  mkdir -p "$DOCKERD_DIR/client"
  echo '{}' >"$DOCKERD_DIR/daemon.json"
  _dockerd_register_stop
  "$DOCKERD_BIN" --config-file "$DOCKERD_DIR/daemon.json" \
    --data-root "$DOCKERD_DIR/data" --exec-root "$DOCKERD_DIR/exec" \
    --pidfile "$DOCKERD_DIR/dockerd.pid" -H "unix://$DOCKERD_DIR/docker.sock" \
    --storage-driver vfs --iptables=false --ip-forward=false --ip-masq=false --bridge=none \
    "$@" </dev/null >"$DOCKERD_DIR/dockerd.log" 2>&1 &
  DOCKERD_PID=$!
  export DOCKER_HOST="unix://$DOCKERD_DIR/docker.sock"
  # Our own client config: no host credentials, no host contexts.
  export DOCKER_CONFIG=${DOCKER_CONFIG:-$DOCKERD_DIR/client}
  unset DOCKER_CONTEXT DOCKER_TLS_VERIFY DOCKER_CERT_PATH
  _dockerd_watchdog
  local deadline=$((SECONDS + ${DOCKERD_START_TIMEOUT:-90}))
  until "$DOCKER_BIN" info >/dev/null 2>&1; do
    if ! kill -0 "$DOCKERD_PID" 2>/dev/null; then
      local log
      log=$(tail -n 30 "$DOCKERD_DIR/dockerd.log")
      DOCKERD_PID=""
      _dockerd_fail "dockerd exited during start-up; its log ends:
$log"
    fi
    ((SECONDS < deadline)) || _dockerd_fail "dockerd did not answer 'docker info' within ${DOCKERD_START_TIMEOUT:-90}s; log:
$(tail -n 30 "$DOCKERD_DIR/dockerd.log")"
    sleep 0.2
  done
}

# Pids of every process whose command line names our private directory
# (dockerd, its containerd, shims): all started by us, so ours to stop.
_dockerd_own_pids() {
  grep -lsaF "$DOCKERD_DIR/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 || true
}

# dockerd_stop: stops the daemon and removes everything it wrote. Idempotent.
dockerd_stop() {
  [[ -n $DOCKERD_DIR ]] || return 0
  if [[ -n $_DOCKERD_WATCHDOG ]]; then
    kill "$_DOCKERD_WATCHDOG" 2>/dev/null || true
    wait "$_DOCKERD_WATCHDOG" 2>/dev/null || true
    _DOCKERD_WATCHDOG=""
  fi
  if [[ -n $DOCKERD_PID ]]; then
    kill -TERM "$DOCKERD_PID" 2>/dev/null || true
    local i
    for i in $(seq 1 100); do
      kill -0 "$DOCKERD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$DOCKERD_PID" 2>/dev/null || true
    wait "$DOCKERD_PID" 2>/dev/null || true
    DOCKERD_PID=""
  fi
  local pid
  for pid in $(_dockerd_own_pids); do kill -KILL "$pid" 2>/dev/null || true; done
  # Container mounts (shm, netns, rootfs binds) that a killed daemon left.
  local m
  while read -r m; do umount -l "$m" 2>/dev/null || true; done < <(
    awk -v d="$DOCKERD_DIR/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r)
  rm -rf "$DOCKERD_DIR" 2>/dev/null || { chattr -R -i "$DOCKERD_DIR" 2>/dev/null; rm -rf "$DOCKERD_DIR" || true; }
  DOCKERD_DIR=""
}

_dockerd_register_stop() {
  if declare -F sb_on_exit >/dev/null; then
    # tests/integration/lib.sh: hooks run before its temp dir goes.
    sb_on_exit dockerd_stop
    return
  fi
  # Otherwise put dockerd_stop in front of whatever EXIT trap is set (the
  # registry helpers' reg_cleanup), keeping $? for it and for the exit code.
  local prev=""
  if [[ -n $(trap -p EXIT) ]]; then
    eval "set -- $(trap -p EXIT)"
    prev=$3
  fi
  # shellcheck disable=SC2064
  trap "_dockerd_rc=\$?; set +e; dockerd_stop; (exit \$_dockerd_rc); ${prev:-exit \$_dockerd_rc}" EXIT
  # Ctrl-C / TERM must reach the EXIT trap too (bash skips it on a signal
  # death); keep a trap the caller set.
  [[ -n $(trap -p INT) ]] || trap 'exit 130' INT
  [[ -n $(trap -p TERM) ]] || trap 'exit 143' TERM
}

# A watchdog that outlives nothing: when the shell that started the daemon is
# gone (killed without traps), it stops the daemon and its children by pid.
_dockerd_watchdog() {
  local parent=$$ dir=$DOCKERD_DIR pid=$DOCKERD_PID
  (
    trap - EXIT INT TERM
    while kill -0 "$parent" 2>/dev/null; do sleep 1; done
    kill -TERM "$pid" 2>/dev/null
    sleep 5
    grep -lsaF "$dir/" /proc/[0-9]*/cmdline 2>/dev/null | cut -d/ -f3 | xargs -r kill -KILL 2>/dev/null
    awk -v d="$dir/" 'index($2, d) == 1 {print $2}' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null
    rm -rf "$dir"
  ) </dev/null >/dev/null 2>&1 &
  _DOCKERD_WATCHDOG=$!
}
