#!/usr/bin/env bash
# run.sh brings Customer Management up on this machine for development:
# the local Postgres (started or created if needed), the api (which embeds a
# NATS server with JetStream when NATS_URL is empty), the projector and the
# exporter. Ctrl-C stops everything: projector and exporter first, then the
# api. If any program exits on its own, the others are stopped and run.sh
# exits non-zero.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"

export HTTP_ADDR="${HTTP_ADDR:-127.0.0.1:8080}"
export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/customer_management?sslmode=disable}"
export NATS_DATA_DIR="${NATS_DATA_DIR:-./var/nats}"
export NATS_EMBED_ADDR="${NATS_EMBED_ADDR:-127.0.0.1:4250}"
export NATS_URL="${NATS_URL:-}"
BIN_DIR="${BIN_DIR:-./bin}"
HEALTH_TIMEOUT="${HEALTH_TIMEOUT:-60}"
STOP_TIMEOUT="${STOP_TIMEOUT:-30}"

log() { echo "run: $*" >&2; }

# health_host turns a listen address into one we can connect to.
health_host() {
	local addr="$1" host port
	host="${addr%:*}"
	port="${addr##*:}"
	case "$host" in
	"" | 0.0.0.0 | "[::]") host=127.0.0.1 ;;
	esac
	echo "$host:$port"
}
HEALTH_ADDR="$(health_host "$HTTP_ADDR")"

# port_open reports whether something accepts TCP connections on host:port.
port_open() {
	local host="${1%:*}" port="${1##*:}"
	host="${host#[}"
	host="${host%]}"
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell.
	timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$port" 2>/dev/null
}

# healthy reports whether GET /healthz answers 200.
healthy() {
	if command -v curl >/dev/null 2>&1; then
		curl -fsS -o /dev/null --max-time 2 "http://$HEALTH_ADDR/healthz" 2>/dev/null
		return
	fi
	local host="${HEALTH_ADDR%:*}" port="${HEALTH_ADDR##*:}"
	# shellcheck disable=SC2016 # $0 and $1 expand in the inner shell.
	timeout 3 bash -c '
		exec 3<>"/dev/tcp/$0/$1" || exit 1
		printf "GET /healthz HTTP/1.0\r\nHost: %s\r\nConnection: close\r\n\r\n" "$0:$1" >&3
		IFS= read -r status <&3 || exit 1
		[[ "$status" == HTTP/1.?" 200"* ]]
	' "$host" "$port" 2>/dev/null
}

# --- prepare ------------------------------------------------------------------
if port_open "$HEALTH_ADDR"; then
	log "something is already listening on $HTTP_ADDR; stop it or set HTTP_ADDR"
	exit 1
fi

bash scripts/ensure-postgres.sh

if [[ "${SKIP_BUILD:-0}" != 1 ]]; then
	log "building into $BIN_DIR/"
	go build -o "$BIN_DIR/" ./cmd/...
fi
for prog in api projector exporter; do
	[[ -x "$BIN_DIR/$prog" ]] || {
		log "$BIN_DIR/$prog is missing"
		exit 1
	}
done
mkdir -p var
if [[ -z "$NATS_URL" ]]; then
	mkdir -p "$NATS_DATA_DIR"
fi

# --- process supervision ------------------------------------------------------
api_pid=""
projector_pid=""
exporter_pid=""
stopping=0

# start runs a program in its own session, so that Ctrl-C in the terminal
# reaches only this script, which then stops the programs in order.
start() {
	setsid "$@" </dev/null &
}

alive() { [[ -n "$1" ]] && kill -0 "$1" 2>/dev/null; }

# stop_wait sends TERM to the given pids and waits for them to exit, killing
# any that are still running after STOP_TIMEOUT seconds.
stop_wait() {
	local pid pids=() deadline
	for pid in "$@"; do
		if alive "$pid"; then
			kill -TERM "$pid" 2>/dev/null || true
			pids+=("$pid")
		fi
	done
	((${#pids[@]} > 0)) || return 0
	deadline=$((SECONDS + STOP_TIMEOUT))
	for pid in "${pids[@]}"; do
		while alive "$pid" && ((SECONDS < deadline)); do
			sleep 0.1
		done
		if alive "$pid"; then
			log "pid $pid did not stop within ${STOP_TIMEOUT}s; killing it"
			kill -KILL "$pid" 2>/dev/null || true
		fi
		wait "$pid" 2>/dev/null || true
	done
}

stop_all() {
	stopping=1
	trap '' INT TERM HUP
	stop_wait "$projector_pid" "$exporter_pid"
	stop_wait "$api_pid"
}

on_signal() {
	log "stopping"
	stop_all
	log "stopped"
	exit 0
}

# on_exit makes sure no program outlives this script, whatever ends it.
on_exit() {
	if ((stopping == 0)); then
		stop_all
	fi
}

trap on_signal INT TERM HUP
trap on_exit EXIT

# which_died prints the name of a program that is no longer running.
which_died() {
	alive "$api_pid" || {
		echo api
		return
	}
	alive "$projector_pid" || {
		echo projector
		return
	}
	alive "$exporter_pid" || {
		echo exporter
		return
	}
}

# --- start --------------------------------------------------------------------
if [[ -n "$NATS_URL" ]]; then
	log "starting api on $HTTP_ADDR (NATS at $NATS_URL)"
else
	log "starting api on $HTTP_ADDR (embedded NATS at $NATS_EMBED_ADDR, data in $NATS_DATA_DIR)"
fi
start "$BIN_DIR/api"
api_pid=$!

deadline=$((SECONDS + HEALTH_TIMEOUT))
until healthy; do
	if ! alive "$api_pid"; then
		set +e
		wait "$api_pid"
		rc=$?
		set -e
		log "api exited with status $rc before it became healthy"
		exit 1
	fi
	if ((SECONDS >= deadline)); then
		log "api did not answer http://$HEALTH_ADDR/healthz within ${HEALTH_TIMEOUT}s"
		exit 1
	fi
	sleep 0.2
done

worker_nats_url="${NATS_URL:-nats://$NATS_EMBED_ADDR}"
NATS_URL="$worker_nats_url" start "$BIN_DIR/projector"
projector_pid=$!
NATS_URL="$worker_nats_url" start "$BIN_DIR/exporter"
exporter_pid=$!

echo "Customer Management is running at http://$HTTP_ADDR"
echo "Press Ctrl-C to stop."

# --- supervise ----------------------------------------------------------------
while true; do
	set +e
	wait -n
	set -e
	# A signal interrupts wait; its trap has already stopped everything and
	# exited. Getting here means a program exited on its own.
	died="$(which_died)"
	if [[ -n "$died" ]]; then
		log "$died exited unexpectedly; stopping the others"
		stop_all
		exit 1
	fi
done
