#!/usr/bin/env bash
# Software token stack for tests: SoftHSM2 (PKCS#11) and a software PIV card behind pcscd.
#
#   eval "$(bash tests/tokens/stack.sh up)"    # start (idempotent); prints `export` lines
#   bash tests/tokens/stack.sh down            # stop what `up` started, nothing else
#   bash tests/tokens/stack.sh status          # what is running (stderr)
#
# No systemd, no stdin; `up` runs as root (pcscd owns /run/pcscd). Only `export` lines go to stdout; progress and
# errors go to stderr. State (token files, card flash, pid files, logs) lives in
# $TOKEN_STACK_DIR, default <repo>/target/token-stack. See tests/tokens/README.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
STATE=${TOKEN_STACK_DIR:-$REPO/target/token-stack}
SERIAL=${TOKEN_STACK_PIV_SERIAL:-12345678}
VPCD_PORT=35963
WAIT_SECONDS=${TOKEN_STACK_WAIT_SECONDS:-30}

# Defaults documented in tests/tokens/README.md.
SOFTHSM_LABEL=ceremony
SOFTHSM_SO_PIN=12345678
SOFTHSM_PIN=123456
PIV_PIN=123456
PIV_PUK=12345678
PIV_MGMT_KEY=010203040506070801020304050607080102030405060708

PACKAGES=(softhsm2 opensc pcscd vsmartcard-vpcd libpcsclite-dev pkg-config clang libclang-dev)
CARD_TARGET=$REPO/target/piv-card
CARD_BIN=$CARD_TARGET/release/piv-card

log() { echo "stack.sh: $*" >&2; }
die() { echo "stack.sh: error: $*" >&2; exit 1; }

ensure_packages() {
  local missing=() p
  for p in "${PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >&2
  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
}

# pid_alive PIDFILE NAME: the pid in PIDFILE is a live process whose executable is NAME.
pid_alive() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1" 2>/dev/null) || return 1
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  [ -d "/proc/$pid" ] || return 1
  local exe
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
  exe=${exe% (deleted)}  # a rebuilt binary still counts
  [ "$(basename "$exe")" = "$2" ]
}

# running PID: the process exists and is not a zombie (whatever it has exec'd yet).
running() {
  local state
  state=$(awk '/^State:/ {print $2}' "/proc/$1/status" 2>/dev/null || true)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Is something listening on TCP port $1 (localhost or any)? Read /proc, not connect: a connect
# to vpcd's port would look like a card arriving.
tcp_listening() {
  local hex
  hex=$(printf '%04X' "$1")
  awk -v p=":$hex" 'NR>1 && $4=="0A" && substr($2, length($2)-4)==p {found=1} END {exit !found}' \
    /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

setup_softhsm() {
  mkdir -p "$STATE/softhsm/tokens"
  cat >"$STATE/softhsm2.conf" <<EOF
# Written by tests/tokens/stack.sh; private to this stack.
directories.tokendir = $STATE/softhsm/tokens
objectstore.backend = file
log.level = ERROR
slots.removable = false
EOF
  export SOFTHSM2_CONF=$STATE/softhsm2.conf
  if softhsm2-util --show-slots 2>/dev/null | grep -Eq "^[[:space:]]*Label:[[:space:]]+$SOFTHSM_LABEL[[:space:]]*$"; then
    log "SoftHSM token '$SOFTHSM_LABEL' already initialized"
  else
    log "initializing SoftHSM token '$SOFTHSM_LABEL'"
    softhsm2-util --init-token --free --label "$SOFTHSM_LABEL" \
      --so-pin "$SOFTHSM_SO_PIN" --pin "$SOFTHSM_PIN" >&2
  fi
}

build_card() {
  log "building the software PIV card if needed (release; the first build takes a few minutes)"
  CARGO_TARGET_DIR=$CARD_TARGET cargo build --release --locked -q \
    --manifest-path "$HERE/piv-card/Cargo.toml" >&2
}

start_pcscd() {
  if pid_alive "$STATE/pcscd.pid" pcscd; then
    log "pcscd already running (pid $(cat "$STATE/pcscd.pid"), started by this stack)"
    return 0
  fi
  rm -f "$STATE/pcscd.pid"
  local other="" p
  for p in $(pgrep -x pcscd || true); do
    running "$p" && other+="${other:+ }$p"  # zombies (an unreaped old pcscd) do not count
  done
  if [ -n "$other" ]; then
    # There is only one pcscd per machine (its socket path is fixed).
    if tcp_listening "$VPCD_PORT"; then
      log "reusing a pcscd this stack did not start (pid $other), vpcd listening on $VPCD_PORT; 'down' will leave it alone"
      return 0
    fi
    die "a pcscd this stack did not start is running (pid $other) without the vpcd reader on port $VPCD_PORT.
  Stop it (e.g. 'systemctl stop pcscd.socket pcscd', or kill $other) and run 'up' again,
  or add /etc/reader.conf.d/vpcd to its configuration and restart it."
  fi
  # No pcscd running: a leftover socket file would make the new one refuse to start.
  rm -f /run/pcscd/pcscd.comm
  mkdir -p "$STATE/pcscd-conf"
  cat >"$STATE/pcscd-conf/vpcd" <<EOF
# Written by tests/tokens/stack.sh: only the vsmartcard virtual reader (vpcd), which listens
# on TCP port $VPCD_PORT (CHANNELID) for the virtual card.
FRIENDLYNAME "Virtual PCD"
DEVICENAME   /dev/null:0x$(printf '%04X' "$VPCD_PORT")
LIBPATH      /usr/lib/pcsc/drivers/serial/libifdvpcd.so
CHANNELID    0x$(printf '%04X' "$VPCD_PORT")
EOF
  log "starting pcscd (log: $STATE/pcscd.log)"
  # -f: stay in the foreground so the pid we record is pcscd's; -c: our reader config only.
  setsid pcscd -f -c "$STATE/pcscd-conf" >"$STATE/pcscd.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/pcscd.pid"
  local i
  for ((i = 0; i < 100; i++)); do
    tcp_listening "$VPCD_PORT" && return 0
    running "$(cat "$STATE/pcscd.pid")" || { tail -n 20 "$STATE/pcscd.log" >&2; die "pcscd exited"; }
    sleep 0.1
  done
  tail -n 20 "$STATE/pcscd.log" >&2
  die "pcscd started but vpcd is not listening on port $VPCD_PORT"
}

start_card() {
  if pid_alive "$STATE/piv-card.pid" piv-card; then
    log "PIV card already running (pid $(cat "$STATE/piv-card.pid"))"
    return 0
  fi
  rm -f "$STATE/piv-card.pid"
  mkdir -p "$STATE/card"
  log "starting the PIV card, serial $SERIAL (log: $STATE/piv-card.log)"
  setsid "$CARD_BIN" --state-dir "$STATE/card" --serial "$SERIAL" \
    --vpcd "127.0.0.1:$VPCD_PORT" >>"$STATE/piv-card.log" 2>&1 </dev/null 9>&- &
  echo $! >"$STATE/piv-card.pid"
  echo "$SERIAL" >"$STATE/piv-card.serial"
}

# The card is visible through PC/SC and answers as our YubiKey look-alike.
wait_for_card() {
  local deadline=$((SECONDS + WAIT_SECONDS)) reader out
  while ((SECONDS < deadline)); do
    # (Not pid_alive: right after the start the child may not have exec'd piv-card yet.)
    running "$(cat "$STATE/piv-card.pid")" || { tail -n 20 "$STATE/piv-card.log" >&2; die "the PIV card exited"; }
    reader=$(opensc-tool -l 2>/dev/null | awk '$2=="Yes" && /Virtual PCD/ {print $1; exit}' || true)
    if [ -n "$reader" ]; then
      # SELECT PIV, then YubiKey GET SERIAL.
      out=$(opensc-tool -r "$reader" -s 00:A4:04:00:05:A0:00:00:03:08 -s 00:F8:00:00 2>&1 || true)
      if grep -q 'SW1=0x90, SW2=0x00' <<<"$out" && [ "$(grep -c 'SW1=0x90' <<<"$out")" -ge 2 ]; then
        log "PIV card visible in reader $reader"
        return 0
      fi
    fi
    sleep 0.5
  done
  log "last opensc-tool output:"; opensc-tool -l >&2 || true
  tail -n 20 "$STATE/piv-card.log" >&2
  die "the PIV card did not show up within ${WAIT_SECONDS}s"
}

print_exports() {
  local module=""
  for m in /usr/lib/softhsm/libsofthsm2.so /usr/lib/*-linux-gnu/softhsm/libsofthsm2.so; do
    [ -f "$m" ] && { module=$m; break; }
  done
  [ -n "$module" ] || die "libsofthsm2.so not found"
  local serial
  serial=$(cat "$STATE/piv-card.serial" 2>/dev/null || echo "$SERIAL")
  cat <<EOF
export TOKEN_STACK_DIR='$STATE'
export SOFTHSM2_CONF='$STATE/softhsm2.conf'
export CEREMONY_TEST_PKCS11_MODULE='$module'
export CEREMONY_TEST_PKCS11_TOKEN='$SOFTHSM_LABEL'
export CEREMONY_TEST_PKCS11_PIN='$SOFTHSM_PIN'
export CEREMONY_TEST_PKCS11_SO_PIN='$SOFTHSM_SO_PIN'
export CEREMONY_TEST_PIV_SERIAL='$serial'
export CEREMONY_TEST_PIV_PIN='$PIV_PIN'
export CEREMONY_TEST_PIV_PUK='$PIV_PUK'
export CEREMONY_TEST_PIV_MGMT_KEY='$PIV_MGMT_KEY'
EOF
}

# stop_pid PIDFILE NAME: stop the process recorded in PIDFILE if it is still NAME.
stop_pid() {
  local pid i
  if pid_alive "$1" "$2"; then
    pid=$(cat "$1")
    log "stopping $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      running "$pid" || break
      sleep 0.1
    done
    if running "$pid"; then
      log "$2 (pid $pid) ignored SIGTERM; killing"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$1"
}

cmd=${1:-}
case "$cmd" in
  up)
    # Under `eval "$(stack.sh up)"` our exit status is lost; on failure print a command that
    # fails, so `eval ... && cargo test` stops.
    trap 'rc=$?; [ $rc -eq 0 ] || echo "echo \"stack.sh up failed (exit $rc)\" >&2; false"' EXIT
    [ "$(id -u)" -eq 0 ] || die "run as root: pcscd needs /run/pcscd (and apt-get may be needed)"
    ensure_packages
    mkdir -p "$STATE"
    STATE=$(cd "$STATE" && pwd)
    exec 9>"$STATE/.lock"
    flock -w 600 9 || die "another stack.sh holds $STATE/.lock"
    build_card
    setup_softhsm
    start_pcscd
    start_card
    wait_for_card
    print_exports
    log "up (state in $STATE)"
    ;;
  down)
    if [ -d "$STATE" ]; then
      exec 9>"$STATE/.lock"
      flock -w 60 9 || die "another stack.sh holds $STATE/.lock"
      stop_pid "$STATE/piv-card.pid" piv-card
      stop_pid "$STATE/pcscd.pid" pcscd
    fi
    log "down"
    ;;
  status)
    for n in piv-card pcscd; do
      if pid_alive "$STATE/$n.pid" "$n"; then log "$n running (pid $(cat "$STATE/$n.pid"))"
      else log "$n not running (by this stack)"; fi
    done
    ;;
  *)
    echo "usage: $0 up|down|status" >&2
    exit 2
    ;;
esac
