#!/usr/bin/env bash
# ensure-postgres.sh makes the Postgres server named by DATABASE_URL reachable
# with trust authentication and makes sure the database in that URL exists.
#
# It is idempotent: run it as often as you like, also while Postgres is up.
# In order, it
#   a) uses a server that already answers pg_isready;
#   b) starts an existing Debian cluster (pg_lsclusters) on that port;
#   c) installs the Debian postgresql package when no server binaries exist,
#      then tries b) again;
#   d) creates and starts a private cluster in ./var/postgres.
# Then it creates the database if it is missing and prints one line saying
# what it did. Steps b) to d) only run when DATABASE_URL names this machine.
set -euo pipefail

DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/customer_management?sslmode=disable}"
WAIT_SECONDS="${ENSURE_POSTGRES_WAIT_SECONDS:-60}"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VAR_DIR="$REPO_ROOT/var"
PRIVATE_DATA="$VAR_DIR/postgres"
PRIVATE_SOCKET="$VAR_DIR/postgres-socket"
PRIVATE_LOG="$VAR_DIR/postgres.log"
HBA_MARKER="# customer-management ensure-postgres.sh: trust local TCP"

actions=()

die() {
	echo "ensure-postgres: $*" >&2
	exit 1
}

# --- parse DATABASE_URL -------------------------------------------------------
url_re='^postgres(ql)?://(([^@/]*)@)?(\[[^]/]*\]|[^/:?]*)(:([0-9]+))?(/([^?]*))?(\?.*)?$'
[[ "$DATABASE_URL" =~ $url_re ]] || die "cannot parse DATABASE_URL '$DATABASE_URL' (want postgres://user@host:port/dbname)"
userinfo="${BASH_REMATCH[3]}"
PGHOST_="${BASH_REMATCH[4]:-127.0.0.1}"
PGPORT_="${BASH_REMATCH[6]:-5432}"
DBNAME="${BASH_REMATCH[8]:-}"
PGUSER_="${userinfo%%:*}"
PGUSER_="${PGUSER_:-postgres}"
DBNAME="${DBNAME:-$PGUSER_}"
if [[ "$userinfo" == *:* ]]; then
	export PGPASSWORD="${userinfo#*:}"
fi
PGHOST_="${PGHOST_#[}"
PGHOST_="${PGHOST_%]}"
export PGCONNECT_TIMEOUT=5

case "$PGHOST_" in
127.0.0.1 | localhost | ::1 | "") local_host=1 ;;
*) local_host=0 ;;
esac

is_root() { [[ "$(id -u)" == 0 ]]; }

# as_root runs a command as root, through sudo when not root already.
as_root() {
	if is_root; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo "$@"
	else
		die "need root (or sudo) to run: $*"
	fi
}

# pg_bin_dirs prints the /usr/lib/postgresql/<version>/bin directories,
# newest version first.
pg_bin_dirs() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[[ -d "$d" ]] && echo "$d"
	done | sort -V -r
}

# find_bin prints the path of a Postgres program: from PATH, else from the
# newest /usr/lib/postgresql/<version>/bin.
find_bin() {
	local name="$1" p
	if p="$(command -v "$name" 2>/dev/null)"; then
		echo "$p"
		return 0
	fi
	for p in $(pg_bin_dirs); do
		if [[ -x "$p/$name" ]]; then
			echo "$p/$name"
			return 0
		fi
	done
	return 1
}

# server_bin_dir prints the newest directory that holds initdb, pg_ctl and postgres.
server_bin_dir() {
	local d p
	for d in $(pg_bin_dirs); do
		if [[ -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	done
	if p="$(command -v initdb 2>/dev/null)"; then
		d="$(dirname "$(readlink -f "$p")")"
		if [[ -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
			echo "$d"
			return 0
		fi
	fi
	return 1
}

ready() {
	local isready
	isready="$(find_bin pg_isready)" || return 1
	"$isready" -q -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" -t 3 >/dev/null 2>&1
}

wait_ready() {
	local deadline=$((SECONDS + WAIT_SECONDS))
	while ((SECONDS < deadline)); do
		if ready; then
			return 0
		fi
		sleep 0.5
	done
	return 1
}

psql_() {
	local psql
	psql="$(find_bin psql)" || die "psql not found; install postgresql-client"
	"$psql" -X -w -q -v ON_ERROR_STOP=1 -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$@"
}

can_login() {
	psql_ -d postgres -tAc 'select 1' >/dev/null 2>&1
}

# debian_clusters prints "<version> <name>" for each Debian cluster on our port.
debian_clusters() {
	command -v pg_lsclusters >/dev/null 2>&1 || return 0
	pg_lsclusters -h 2>/dev/null | awk -v port="$PGPORT_" '$3 == port { print $1, $2 }'
}

# start_debian_cluster starts a Debian cluster on our port; it fails when
# there is none.
start_debian_cluster() {
	local clusters ver name
	clusters="$(debian_clusters)"
	[[ -n "$clusters" ]] || return 1
	read -r ver name <<<"$(head -n1 <<<"$clusters")"
	if ! as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" start >&2; then
		echo "ensure-postgres: pg_ctlcluster $ver $name start failed" >&2
		return 1
	fi
	actions+=("started Debian cluster $ver/$name")
	wait_ready
}

# trust_debian_cluster lets the URL's user log in over local TCP without a
# password on the Debian cluster serving our port.
trust_debian_cluster() {
	local clusters ver name hba
	clusters="$(debian_clusters)"
	[[ -n "$clusters" ]] || return 1
	read -r ver name <<<"$(head -n1 <<<"$clusters")"
	hba="/etc/postgresql/$ver/$name/pg_hba.conf"
	[[ -f "$hba" ]] || return 1
	if ! grep -qF "$HBA_MARKER" "$hba"; then
		local tmp
		tmp="$(mktemp)"
		{
			echo "$HBA_MARKER for user $PGUSER_ (development and CI only)."
			echo "host    all    $PGUSER_    127.0.0.1/32    trust"
			echo "host    all    $PGUSER_    ::1/128         trust"
			cat "$hba"
		} >"$tmp"
		as_root cp "$tmp" "$hba"
		rm -f "$tmp"
		actions+=("enabled trust auth for $PGUSER_ in $hba")
	fi
	as_root pg_ctlcluster --skip-systemctl-redirect "$ver" "$name" reload >&2
	# A reload is applied asynchronously; give it a bounded moment.
	local deadline=$((SECONDS + 10))
	while ((SECONDS < deadline)); do
		can_login && return 0
		sleep 0.2
	done
	return 1
}

install_postgres() {
	echo "ensure-postgres: no Postgres server binaries found; installing the Debian postgresql package" >&2
	command -v apt-get >/dev/null 2>&1 || die "no Postgres found and apt-get is not available; install Postgres yourself"
	as_root apt-get update >&2
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y postgresql >&2
	actions+=("installed postgresql")
}

# run_pg runs a server program as the postgres OS user when we are root,
# since Postgres refuses to run as root.
run_pg() {
	if is_root; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

start_private_cluster() {
	local bindir
	bindir="$(server_bin_dir)" || die "no initdb/pg_ctl found under /usr/lib/postgresql/*/bin or in PATH"
	mkdir -p "$VAR_DIR" "$PRIVATE_SOCKET"
	touch "$PRIVATE_LOG"
	if is_root; then
		if ! id postgres >/dev/null 2>&1; then
			useradd --system --home-dir "$PRIVATE_DATA" --no-create-home --shell /usr/sbin/nologin postgres
		fi
		mkdir -p "$PRIVATE_DATA"
		chown -R postgres: "$PRIVATE_DATA" "$PRIVATE_SOCKET" "$PRIVATE_LOG"
		chmod 700 "$PRIVATE_DATA"
		runuser -u postgres -- test -w "$PRIVATE_DATA" ||
			die "the postgres OS user cannot reach $PRIVATE_DATA (check the permissions of its parent directories)"
	fi
	if [[ ! -s "$PRIVATE_DATA/PG_VERSION" ]]; then
		local locale=C
		if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
			locale=C.UTF-8
		fi
		run_pg "$bindir/initdb" -D "$PRIVATE_DATA" -A trust -U postgres -E UTF8 --locale="$locale" >>"$PRIVATE_LOG" 2>&1 ||
			die "initdb failed; see $PRIVATE_LOG"
		actions+=("created private cluster in var/postgres")
	fi
	if ! run_pg "$bindir/pg_ctl" -D "$PRIVATE_DATA" status >/dev/null 2>&1; then
		run_pg "$bindir/pg_ctl" -D "$PRIVATE_DATA" -w -t "$WAIT_SECONDS" \
			-o "-p $PGPORT_ -k $PRIVATE_SOCKET -c listen_addresses=127.0.0.1" \
			-l "$PRIVATE_LOG" start >&2 || {
			tail -n 20 "$PRIVATE_LOG" >&2 || true
			die "pg_ctl start failed; see $PRIVATE_LOG"
		}
		actions+=("started private cluster on 127.0.0.1:$PGPORT_")
	fi
	wait_ready
}

# --- make the server reachable ------------------------------------------------
if ready; then
	:
elif ((local_host == 0)); then
	die "Postgres at $PGHOST_:$PGPORT_ is not reachable, and it is not on this machine, so it cannot be started here"
else
	started=0
	# b) an existing Debian cluster
	if start_debian_cluster; then
		started=1
	fi
	# c) nothing installed at all: install it and retry a) and b)
	if ((started == 0)) && ! server_bin_dir >/dev/null; then
		install_postgres
		if wait_ready || start_debian_cluster; then
			started=1
		fi
	fi
	# d) a private cluster under ./var
	if ((started == 0)) && ! ready; then
		start_private_cluster || true
	fi
	ready || die "Postgres at $PGHOST_:$PGPORT_ did not become ready within ${WAIT_SECONDS}s"
fi

if ! can_login; then
	if ((local_host == 1)) && trust_debian_cluster; then
		:
	else
		err="$(psql_ -d postgres -tAc 'select 1' 2>&1 || true)"
		die "Postgres at $PGHOST_:$PGPORT_ is up but user $PGUSER_ cannot log in without a password: $err"
	fi
fi

# --- make sure the database exists --------------------------------------------
db_exists() {
	local q="${DBNAME//\'/\'\'}"
	[[ "$(psql_ -d postgres -tAc "select 1 from pg_database where datname = '$q'")" == 1 ]]
}

if ! db_exists; then
	createdb_="$(find_bin createdb)" || die "createdb not found; install postgresql-client"
	if ! out="$("$createdb_" -w -h "$PGHOST_" -p "$PGPORT_" -U "$PGUSER_" "$DBNAME" 2>&1)"; then
		# Another run may have created it at the same moment.
		db_exists || die "createdb $DBNAME failed: $out"
	else
		actions+=("created database $DBNAME")
	fi
fi

if ((${#actions[@]} == 0)); then
	echo "ensure-postgres: Postgres already running at $PGHOST_:$PGPORT_; database $DBNAME exists"
else
	summary="$(printf '%s; ' "${actions[@]}")"
	echo "ensure-postgres: ${summary%; } — Postgres ready at $PGHOST_:$PGPORT_, database $DBNAME"
fi
