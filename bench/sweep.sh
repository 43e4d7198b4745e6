#!/usr/bin/env bash
# sweep.sh BASE OUT: runs every seed (-simall) of the examples' sweep from
# base seed BASE, at the counts of the sweeps in bench/HISTORY.md, from the
# module's root. Each test's output goes to OUT, and a line per test (its
# exit status and wall seconds) to OUT/sweep-BASE.txt.
set -u
if [ $# -lt 2 ] || [ -z "$1" ] || [ -z "$2" ]; then
	echo "usage: bench/sweep.sh BASE OUT: BASE is the base seed, OUT the directory for the outputs" >&2
	exit 2
fi
b=$1; OUT=$(realpath -m "$2")
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
run() { # package test seeds
	local s=$(date +%s)
	nice -n 10 go test -count=1 -timeout 60m -run "^$2\$" "./examples/$1" -simbase "$b" -simseeds "$3" -simall -simkeep=false \
		> "$OUT/b$b-$(basename "$1")-$2.log" 2>&1
	echo "$1 $2 $3 rc=$? $(($(date +%s) - s))s" >> "$OUT/sweep-$b.txt"
}
run kv TestKV 20000
run ledger TestLedger 10000
run orders TestOrders 8000
run partition TestPingUnderPartitions 10000
run payments TestPayments 20000
run zones TestStoreUnderZoneOutages 5000
run zones TestNaiveStoreSurvivesProcessCrashes 5000
run httpretry TestHTTPRetry 3000
run wal TestWAL 10000
run shardmove TestBank 20000
run raftkv TestRaftKV 800
run etcdraft TestEtcdRaft 5000
run kv TestKVPrograms 500
echo done >> "$OUT/sweep-$b.txt"
