#!/usr/bin/env bash
# A real MariaDB replica on loopback, and proof that the reports read from it (§5, docs/benchmarks.md).
#
#   benchmarks/replica.sh            # output also goes to benchmarks/results/replica.md
#
# Starts its own pair of mariadbd — never touches the MariaDB on 3306:
#   primary  127.0.0.1:3317  server_id=1, log_bin, binlog_format=ROW, GTID
#   replica  127.0.0.1:3318  server_id=2, read_only, CHANGE MASTER TO … MASTER_USE_GTID=slave_pos
# (data directories under $SP_BENCH_DIR/replica-demo, kept between runs), creates the site
# $SP_REPLICA_SITE (default replica-sales-process.localhost) on the primary with ERPNext and the
# app (first run only: several minutes), loads a scale-S dataset (benchmarks/generate.py), sets the
# site's read_from_replica / replica_host / replica_db_port, runs benchmarks/replica_check.py, and
# stops both servers at the end (also on failure). Bounded: every wait has a timeout, and the whole
# script is killed after SP_REPLICA_TIMEOUT seconds (default 3600; a re-run takes about a minute).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SP_BENCH_DIR="${SP_BENCH_DIR:-$HOME/sales-process-bench}"
SITE="${SP_REPLICA_SITE:-replica-sales-process.localhost}"
ROOT_PW="${SP_DB_ROOT_PASSWORD:-sales-process-root}"
REPL_PW="replica-demo"
PRIMARY_PORT="${SP_PRIMARY_PORT:-3317}"
REPLICA_PORT="${SP_REPLICA_PORT:-3318}"
DIR="$SP_BENCH_DIR/replica-demo"
OUT="$REPO/benchmarks/results/replica.md"
PY="$SP_BENCH_DIR/env/bin/python"
TIMEOUT="${SP_REPLICA_TIMEOUT:-3600}"

if [ -z "${SP_REPLICA_INNER:-}" ]; then
	mkdir -p "$(dirname "$OUT")"
	# the whole demonstration under one time limit, its output kept
	SP_REPLICA_INNER=1 timeout --signal=TERM "$TIMEOUT" "$0" "$@" 2>&1 | tee "$OUT.log"
	status=${PIPESTATUS[0]}
	{
		echo "# MariaDB replica demonstration"
		echo
		echo "Output of \`benchmarks/replica.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), exit status $status):"
		echo
		echo '```'
		grep -v '^\s*$' "$OUT.log" | grep -v 'Updating DocTypes\|Installing\|Updating Dashboard' || true
		echo '```'
	} >"$OUT"
	rm -f "$OUT.log"
	exit "$status"
fi

say() { printf '[replica] %s\n' "$*"; }
sql() { # sql PORT STATEMENT…  (root over the server's own socket)
	local port=$1
	shift
	mariadb --no-defaults -uroot -S "$DIR/$port.sock" -N -B -e "$*"
}

mkdir -p "$DIR"
# the bench's Redis (cache, queue) is shared with the bench and left running; install-app needs the
# queue (a fresh machine has neither up) — started the way scripts/dev does
for conf in redis_cache redis_queue; do
	port=$(awk '/^port/ {print $2}' "$SP_BENCH_DIR/config/$conf.conf")
	if ! redis-cli -p "$port" ping >/dev/null 2>&1; then
		say "starting $conf on 127.0.0.1:$port"
		(cd "$SP_BENCH_DIR/config" && redis-server "$conf.conf" --daemonize yes --bind 127.0.0.1 >/dev/null)
	fi
done
cleanup() {
	for port in "$REPLICA_PORT" "$PRIMARY_PORT"; do
		if [ -S "$DIR/$port.sock" ]; then
			say "stopping mariadbd on $port"
			mariadb-admin --no-defaults -uroot -S "$DIR/$port.sock" shutdown 2>/dev/null || true
		fi
	done
	for port in "$REPLICA_PORT" "$PRIMARY_PORT"; do
		for _ in $(seq 30); do [ -e "$DIR/$port.pid" ] || break; sleep 1; done
		if [ -e "$DIR/$port.pid" ]; then kill "$(cat "$DIR/$port.pid")" 2>/dev/null || true; fi
	done
}
trap cleanup EXIT

start_server() { # start_server PORT SERVER_ID EXTRA…
	local port=$1 id=$2
	shift 2
	cat >"$DIR/$port.cnf" <<-EOF
		[mysqld]
		user = root
		datadir = $DIR/data-$port
		socket = $DIR/$port.sock
		pid-file = $DIR/$port.pid
		port = $port
		bind-address = 127.0.0.1
		log-error = $DIR/$port.err
		server_id = $id
		character-set-client-handshake = FALSE
		character-set-server = utf8mb4
		collation-server = utf8mb4_unicode_ci
		innodb_buffer_pool_size = 256M
		innodb_flush_log_at_trx_commit = 2
		max_connections = 200
	EOF
	for line in "$@"; do echo "$line" >>"$DIR/$port.cnf"; done
	if [ ! -d "$DIR/data-$port/mysql" ]; then
		say "initialising $DIR/data-$port"
		mariadb-install-db --defaults-file="$DIR/$port.cnf" --user=root --auth-root-authentication-method=socket \
			--skip-test-db >/dev/null
	fi
	if [ -S "$DIR/$port.sock" ] && mariadb-admin --no-defaults -uroot -S "$DIR/$port.sock" ping >/dev/null 2>&1; then
		say "mariadbd on $port is already running"
		return
	fi
	(setsid mariadbd --defaults-file="$DIR/$port.cnf" >/dev/null 2>&1 &)
	for _ in $(seq 60); do
		mariadb-admin --no-defaults -uroot -S "$DIR/$port.sock" ping >/dev/null 2>&1 && break
		sleep 1
	done
	mariadb-admin --no-defaults -uroot -S "$DIR/$port.sock" ping >/dev/null || {
		tail "$DIR/$port.err"
		exit 1
	}
	say "mariadbd $(sql "$port" 'select version()') up on 127.0.0.1:$port (server_id $id)"
}

start_server "$PRIMARY_PORT" 1 "log_bin = $DIR/binlog" "binlog_format = ROW" "gtid_strict_mode = 1" \
	"sync_binlog = 0"
start_server "$REPLICA_PORT" 2 "read_only = 1" "relay_log = $DIR/relay" "gtid_strict_mode = 1"

if [ "$(sql "$PRIMARY_PORT" "select count(*) from mysql.global_priv where user='repl'")" = 0 ]; then
	say "primary: root password for TCP, replication user"
	sql "$PRIMARY_PORT" "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('$ROOT_PW') OR unix_socket;
		CREATE USER repl@'127.0.0.1' IDENTIFIED BY '$REPL_PW'; GRANT REPLICATION SLAVE ON *.* TO repl@'127.0.0.1';"
fi
if [ -z "$(sql "$REPLICA_PORT" 'show slave status')" ]; then
	say "replica: CHANGE MASTER TO 127.0.0.1:$PRIMARY_PORT, MASTER_USE_GTID=slave_pos"
	# everything since the primary's first binlog is replayed: users, the site's database, its rows
	sql "$REPLICA_PORT" "SET GLOBAL gtid_slave_pos = '';
		CHANGE MASTER TO MASTER_HOST='127.0.0.1', MASTER_PORT=$PRIMARY_PORT, MASTER_USER='repl',
		MASTER_PASSWORD='$REPL_PW', MASTER_USE_GTID=slave_pos, MASTER_CONNECT_RETRY=1;"
fi
sql "$REPLICA_PORT" "START SLAVE"
sleep 1
mariadb --no-defaults -uroot -S "$DIR/$REPLICA_PORT.sock" -e "show slave status\G" | grep -E 'Slave_IO_Running|Slave_SQL_Running:|Using_Gtid|Master_Port' |
	sed 's/^ */[replica]   /'

frappe_cli() {
	(cd "$SP_BENCH_DIR/sites" && PYTHONPATH="$REPO" "$PY" -m frappe.utils.bench_helper frappe "$@")
}

if [ ! -f "$SP_BENCH_DIR/sites/$SITE/site_config.json" ]; then
	say "creating $SITE on the primary (127.0.0.1:$PRIMARY_PORT) with ERPNext — first run only"
	frappe_cli new-site "$SITE" --db-host 127.0.0.1 --db-port "$PRIMARY_PORT" --db-root-password "$ROOT_PW" \
		--admin-password admin --install-app erpnext >"$DIR/new-site.log" 2>&1 || {
		tail -20 "$DIR/new-site.log"
		exit 1
	}
fi
frappe_cli --site "$SITE" set-config pause_scheduler 1 >/dev/null
frappe_cli --site "$SITE" set-config mute_emails 1 >/dev/null
# a marker rather than list-apps: a failed install can leave the app listed but half set up
if [ ! -e "$DIR/$SITE.installed" ]; then
	say "installing sales_process on $SITE"
	{ frappe_cli --site "$SITE" install-app sales_process --force &&
		frappe_cli --site "$SITE" sales-process-setup test; } >"$DIR/install-app.log" 2>&1 || {
		tail -20 "$DIR/install-app.log"
		exit 1
	}
	touch "$DIR/$SITE.installed"
fi
# the replica has to be read through the site's own database user: it exists there because
# CREATE USER / GRANT were replicated
frappe_cli --site "$SITE" set-config -p read_from_replica 1 >/dev/null
frappe_cli --site "$SITE" set-config replica_host 127.0.0.1 >/dev/null
frappe_cli --site "$SITE" set-config -p replica_db_port "$REPLICA_PORT" >/dev/null

say "loading the scale-S dataset on the primary (skipped when already there)"
(cd "$REPO" && SP_BENCH_DIR="$SP_BENCH_DIR" SP_BENCH_SITE="$SITE" PYTHONPATH="$REPO" \
	"$PY" benchmarks/generate.py --scale S --no-erpnext-mirror | grep -v '^\s*$' | tail -4)

say "demonstration"
(cd "$REPO" && SP_BENCH_DIR="$SP_BENCH_DIR" SP_BENCH_SITE="$SITE" PYTHONPATH="$REPO" \
	SP_PRIMARY_SOCK="$DIR/$PRIMARY_PORT.sock" SP_REPLICA_SOCK="$DIR/$REPLICA_PORT.sock" \
	"$PY" benchmarks/replica_check.py)
