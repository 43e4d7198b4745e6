#!/usr/bin/env bash
# summary.sh OUT [PASSES]: runs the commands of BENCHMARKS.md's summary,
# PASSES times (default 1), from the module's root. Each package's test
# binary is built once and run from its own directory; the outputs, and
# the time and load average at each pass's start and end, go to OUT.
set -u
if [ $# -lt 1 ] || [ -z "$1" ]; then
	echo "usage: bench/summary.sh OUT [PASSES]: OUT is the directory for the outputs" >&2
	exit 2
fi
OUT=$(realpath -m "$1"); PASSES=${2:-1}
mkdir -p "$OUT"
cd "$(dirname "$0")/.."
build() { go test -c -o "$OUT/$1.test" "./$2" >/dev/null || { echo "summary.sh: building $2 failed" >&2; exit 1; }; }
build sim internal/sim; build net internal/simnet; build disk internal/simdisk; build assert assertions
build prov providers
build rpc rpc; build wire rpc/internal/wire; build http simhttp; build explore internal/explore
build wasm internal/wasmhost; build raft examples/raftkv; build kv examples/kv
stamp() { echo "$1 $(date -u +%H:%M:%S) $(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null)" >> "$OUT/passes.txt"; }
bench() { # name dir binary args...
	local name=$1 dir=$2 bin=$3; shift 3
	(cd "$dir" && "$OUT/$bin.test" -test.run '^$' "$@") > "$OUT/$name.$pass.txt" 2>&1
}
for pass in $(seq 1 "$PASSES"); do
	stamp "pass $pass"
	bench sim internal/sim sim -test.bench 'TaskSwitch|Timers$|TimerAllocs|Heartbeat' -test.count 2 -test.benchmem
	bench net internal/simnet net -test.bench . -test.count 2 -test.benchmem
	bench net1m internal/simnet net -test.bench 'PingPong/sim' -test.benchtime 1000000x -test.benchmem
	bench net6m internal/simnet net -test.bench 'PingPong/sim-zero' -test.benchtime 6000000x -test.benchmem
	bench disk internal/simdisk disk -test.bench 'WriteSync4K|Read4K' -test.count 2 -test.benchmem
	bench diskmem internal/simdisk disk -test.bench Memory -test.benchmem
	bench assert assertions assert -test.bench . -test.count 2 -test.benchmem
	bench prov providers prov -test.bench GroupWaiters -test.benchtime 100000x -test.count 2
	bench rpc rpc rpc -test.bench 'GetReply|Codec' -test.benchtime 100000x -test.count 2 -test.benchmem
	bench wire rpc/internal/wire wire -test.bench Decode -test.count 2 -test.benchmem
	bench http simhttp http -test.bench Requests -test.count 2 -test.benchmem
	bench explore internal/explore explore -test.bench TwoRareEvents -test.benchtime 1x
	bench wasm internal/wasmhost wasm -test.bench Start -test.benchtime 1000x -test.count 2 -test.benchmem
	bench raftstart examples/raftkv raft -test.bench ProgramStart -test.cpu 1 -test.benchtime 200x -test.count 2 -test.benchmem
	GOMAXPROCS=1 bench raft examples/raftkv raft -test.bench RaftKV -test.cpu 1 -test.benchtime 30x -test.benchmem
	bench kv examples/kv kv -test.bench 'KV$' -test.cpu 1 -test.benchtime 300x -test.count 2 -test.benchmem
	bench kvw examples/kv kv -test.bench KVWorkers -test.benchtime 300x -test.count 2 -test.benchmem
	bench kvp examples/kv kv -test.bench KVPrograms -test.cpu 1 -test.benchtime 40x
	stamp "end $pass"
done
