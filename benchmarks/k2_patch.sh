#!/usr/bin/env bash
# The K2 migrate patch (chain versions) on a copy of the demo site's data (docs/security.md).
#
#   benchmarks/k2_patch.sh           # output also goes to benchmarks/results/k2_patch.md
#
# Dumps the demo site's database (read-only: mariadb-dump --single-transaction), restores it into
# a scratch site ($SP_K2_SITE, default t-k2copy.localhost; made on the first run, frappe only —
# `bench restore` replaces its database), counts the entries per person and chain version, puts
# entries the demo already wrote under version 2 back into their pre-K2 form (benchmarks/
# k2_patch_check.py before), runs `bench migrate` (the patch runs there, as on a real upgrade),
# then checks every chain with verify_chain and adds one entry on top (… after). The demo site is
# never written to. Bounded: the whole script is killed after SP_K2_TIMEOUT seconds (default 1800).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SP_BENCH_DIR="${SP_BENCH_DIR:-$HOME/sales-process-bench}"
DEMO="${SP_SITE:-sales-process.localhost}"
COPY="${SP_K2_SITE:-t-k2copy.localhost}"
ROOT_PW="${SP_DB_ROOT_PASSWORD:-sales-process-root}"
OUT="$REPO/benchmarks/results/k2_patch.md"
PY="$SP_BENCH_DIR/env/bin/python"

if [ -z "${SP_K2_INNER:-}" ]; then
	mkdir -p "$(dirname "$OUT")"
	SP_K2_INNER=1 timeout --signal=TERM "${SP_K2_TIMEOUT:-1800}" "$0" "$@" 2>&1 | tee "$OUT.log"
	status=${PIPESTATUS[0]}
	{
		echo "# The K2 patch on a copy of the demo site"
		echo
		echo "Output of \`benchmarks/k2_patch.sh\` ($(date -u '+%Y-%m-%d %H:%M UTC'), exit status $status):"
		echo
		echo '```'
		grep -v '^\s*$' "$OUT.log" | grep -v 'Updating\|Installing\|\[=*\]\|Executing\|Queued\|Orphaned\|Warning: MariaDB' || true
		echo '```'
	} >"$OUT"
	rm -f "$OUT.log"
	exit "$status"
fi

say() { printf '[k2] %s\n' "$*"; }
bench() { (cd "$SP_BENCH_DIR/sites" && "$PY" -m frappe.utils.bench_helper frappe "$@"); }
check() { (cd "$REPO" && SP_BENCH_SITE="$COPY" PYTHONPATH="$REPO" "$PY" benchmarks/k2_patch_check.py "$@"); }

[ "$COPY" != "$DEMO" ] || { say "the copy must be another site than the demo"; exit 2; }
db="$("$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))["db_name"])' "$SP_BENCH_DIR/sites/$DEMO/site_config.json")"
dump="$(mktemp -d)/demo.sql.gz"
trap 'rm -rf "$(dirname "$dump")"' EXIT
say "dumping $DEMO (database $db)"
mariadb-dump -uroot -p"$ROOT_PW" -h127.0.0.1 --single-transaction --quick --routines "$db" | gzip >"$dump"
say "dump: $(du -h "$dump" | cut -f1)"
if [ ! -f "$SP_BENCH_DIR/sites/$COPY/site_config.json" ]; then
	say "creating the scratch site $COPY"
	bench new-site "$COPY" --db-root-password "$ROOT_PW" --db-host 127.0.0.1 --admin-password admin >/dev/null
fi
bench --site "$COPY" set-config pause_scheduler 1 >/dev/null
say "restoring the dump into $COPY"
bench --site "$COPY" restore "$dump" --db-root-password "$ROOT_PW" --force
check before
say "bench migrate on $COPY"
bench --site "$COPY" migrate
check after
