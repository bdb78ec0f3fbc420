#!/usr/bin/env bash
# Chaos test of the JetStream event log (DESIGN §10), run by hand:
#
#   scripts/chaos-jetstream.sh            # build nats-server, start a 3-node cluster, run the test, stop
#   scripts/chaos-jetstream.sh kill NAME  # (used by the test) SIGKILL node NAME (n1, n2 or n3)
#   scripts/chaos-jetstream.sh start NAME # (used by the test) start node NAME again
#
# It builds nats-server v2.15.3 with `go install` into .chaos/bin, starts three nodes of one
# cluster on loopback (clients on 127.0.0.1:14222-14224, routes on 127.0.0.1:16222-16224,
# stores under .chaos/n1..n3), and runs integration.TestChaosStreamLeaderKilled against it:
# three shippers and two following ingest pipelines (PostgreSQL from internal/pgtest) work
# on a 300k-record generated log in a 16-partition stream with 3 replicas while the stream
# leader is killed with SIGKILL and restarted, twice. The test passes when the stream holds
# every line once and the committed results equal a single file ingest of the stream's dump.
# Everything stays on this machine; the nodes are stopped at the end. Needs Go and the
# PostgreSQL server binaries (as the integration tests do). Takes 30-45 s (plus the first
# build of nats-server); see docs/scale-out.md, "Chaos test".
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
work=${MANHATTAN_CHAOS_DIR:-$root/.chaos}
names=(n1 n2 n3)

port() { echo $((14221 + ${1#n})); }
route() { echo $((16221 + ${1#n})); }

start_node() {
	local n=$1 routes=""
	for m in "${names[@]}"; do routes+="nats-route://127.0.0.1:$(route "$m"),"; done
	mkdir -p "$work/$n"
	cat >"$work/$n.conf" <<CONF
server_name: $n
listen: 127.0.0.1:$(port "$n")
jetstream { store_dir: "$work/$n", max_memory_store: 256MB, max_file_store: 4GB }
cluster { name: chaos, listen: 127.0.0.1:$(route "$n"), routes: [${routes%,}] }
CONF
	"$work/bin/nats-server" -c "$work/$n.conf" >>"$work/$n.log" 2>&1 &
	echo $! >"$work/$n.pid"
	disown $!
}

kill_node() {
	local pid
	pid=$(cat "$work/$1.pid")
	kill -9 "$pid" 2>/dev/null || true
	while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
}

case "${1:-run}" in
kill) kill_node "$2"; exit 0 ;;
start) start_node "$2"; exit 0 ;;
run) ;;
*) echo "usage: $0 [run | kill NAME | start NAME]" >&2; exit 2 ;;
esac

mkdir -p "$work/bin"
if [ ! -x "$work/bin/nats-server" ]; then
	echo "building nats-server v2.15.3 into $work/bin"
	GOBIN="$work/bin" go install github.com/nats-io/nats-server/v2@v2.15.3
fi
rm -rf "${work:?}"/n[123] "$work"/n[123].log
trap 'for n in "${names[@]}"; do kill_node "$n"; done' EXIT
for n in "${names[@]}"; do start_node "$n"; done
urls=""
for n in "${names[@]}"; do urls+="nats://127.0.0.1:$(port "$n"),"; done
urls=${urls%,}
echo "cluster up: $urls (logs in $work/n*.log)"
sleep 2 # let the nodes elect a meta leader

cd "$root"
MANHATTAN_CHAOS_NATS=$urls MANHATTAN_CHAOS_CONTROL="$root/scripts/chaos-jetstream.sh" MANHATTAN_CHAOS_DIR="$work" \
	go test -count=1 -timeout 15m -v -run '^TestChaosStreamLeaderKilled$' ./integration
