#!/usr/bin/env bash
# make demo: Ovi end to end on your machine, nothing to configure.
#
# Starts `ovi agent -dev` (a one-node cluster with an embedded EC2 simulator
# and the example infrastructure.yaml) on free loopback ports in a temporary
# directory, then shows what a user does with it: the plan, the apply, the
# state, the audit trail, one instance's lifecycle and `ovi why` of a create
# and of a refused delete (both replayed identical), then the web UI's URL
# (on a terminal the agent keeps running until Enter). The agent is stopped
# and the directory removed on exit, whatever happens.
#
# Usage: scripts/demo.sh [path/to/ovi]   (default: bin/ovi, or $OVI_BIN)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
ovi_bin=${1:-${OVI_BIN:-$root/bin/ovi}}
case $ovi_bin in /*) ;; *) ovi_bin=$PWD/$ovi_bin ;; esac
if [[ ! -x $ovi_bin ]]; then
	echo "demo: $ovi_bin not found; run 'make build' first (or 'make demo')" >&2
	exit 1
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/ovi-demo.XXXXXX")
agent_pid=""

cleanup() {
	local rc=$?
	if [[ -n $agent_pid ]] && kill -0 "$agent_pid" 2>/dev/null; then
		kill -TERM "$agent_pid" 2>/dev/null || true
		# Give the agent up to 10 s to shut down cleanly (it removes its
		# dev data dir), then kill it.
		for _ in $(seq 100); do
			kill -0 "$agent_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$agent_pid" 2>/dev/null || true
		wait "$agent_pid" 2>/dev/null || true
	fi
	if [[ $rc -ne 0 && -f $work/agent.log ]]; then
		echo "demo: failed (exit $rc); last lines of the agent's log:" >&2
		tail -n 20 "$work/agent.log" >&2
	fi
	rm -rf "$work"
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# port_in_use PORT: something accepts TCP connections on 127.0.0.1:PORT.
port_in_use() { (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pick_port VAR: set VAR to a random unused loopback port in 20000–59999,
# different from the ports picked before.
pick_port() {
	local -n out=$1
	local p
	while :; do
		p=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
		if ! port_in_use "$p" && [[ " $taken " != *" $p "* ]]; then
			taken="$taken $p"
			out=$p
			return
		fi
	done
}

# healthy: GET /v1/health answers 200.
healthy() {
	local status
	exec 3<>"/dev/tcp/127.0.0.1/$http_port" || return 1
	printf 'GET /v1/health HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
	IFS= read -r -t 2 status <&3 || status=""
	exec 3<&-
	[[ $status == *" 200"* ]]
}

# start_agent: run the dev agent on fresh free ports; 0 once it is healthy.
start_agent() {
	taken=""
	pick_port http_port
	pick_port raft_port
	pick_port gossip_port
	"$ovi_bin" agent -dev --http-port "$http_port" --raft-port "$raft_port" \
		--gossip-port "$gossip_port" >"$work/agent.log" 2>&1 &
	agent_pid=$!
	local deadline=$((SECONDS + 30))
	while ((SECONDS < deadline)); do
		kill -0 "$agent_pid" 2>/dev/null || return 1 # exited: a port was taken meanwhile?
		healthy 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

ovi() { "$ovi_bin" --address "127.0.0.1:$http_port" "$@"; }

# Headings in bold on a terminal (unless NO_COLOR is set).
bold="" plain=""
if [[ -t 1 && -z ${NO_COLOR:-} ]]; then
	bold=$'\033[1m' plain=$'\033[0m'
fi

# step TEXT CMD...: print what a user would type, then run it.
step() {
	local text=$1
	shift
	printf '\n%s==> %s%s\n$ ovi %s\n' "$bold" "$text" "$plain" "$*"
	ovi "$@"
}

echo "Starting a dev agent: one node, an embedded EC2 simulator, the example infrastructure.yaml."
started=""
for _ in 1 2 3; do
	if start_agent; then
		started=yes
		break
	fi
	kill -KILL "$agent_pid" 2>/dev/null || true
	wait "$agent_pid" 2>/dev/null || true
	agent_pid=""
done
[[ -n $started ]] || {
	echo "demo: the dev agent did not become healthy" >&2
	exit 1
}
echo "Agent $agent_pid is healthy at http://127.0.0.1:$http_port (log: $work/agent.log)."

# At start the leader reconciles the example file (3 × t3.micro) at once;
# wait until that first cycle is in the audit log.
deadline=$((SECONDS + 30))
until [[ -n $(ovi wal replay --type summary --limit 1 2>/dev/null) ]]; do
	((SECONDS < deadline)) || {
		echo "demo: no reconcile cycle within 30 s" >&2
		exit 1
	}
	sleep 0.1
done

step "Who is in the cluster" members

cd "$work"
sed 's/count: 3/count: 5/' "$root/deploy/config/infrastructure.yaml" >infrastructure.yaml
printf '\nThe agent already launched the example'"'"'s 3 instances. Now ask for 5: ./infrastructure.yaml says\n'
grep -E '^(version|provider|region)|count|size' infrastructure.yaml | sed 's/^/    /'

step "The plan: what Ovi would do, changing nothing" reconcile --dry-run
step "Apply it" reconcile
step "Converged? (exit 0 = no changes left)" reconcile --dry-run --detailed-exitcode
step "The state now (time travel: add --revision N)" state
step "The audit trail: every observation, decision and execution" wal replay

instance=$(ovi --no-color state | awk '$5 == "yes" { print $1; exit }')
[[ -n $instance ]] || {
	echo "demo: no managed instance in the state" >&2
	exit 1
}
step "One instance's life" wal analyze --resource-id "$instance" --timeline
step "A named resource's life: the blessed data volume" wal analyze --resource-id "prod-database" --timeline

# decision_id ACTION: the id of the last recorded decision with that action.
decision_id() {
	ovi -o json wal replay --type decided | grep "\"action\":\"$1\"" | tail -n 1 |
		sed -E 's/.*"decision_id":"([^"]+)".*/\1/'
}

sed -i 's/count: 5/count: 3/' infrastructure.yaml
printf '\nNow ask for 3 again. The example tags its instances ovi:blessed, so the surplus must stay.\n'
step "Scale back to 3: blessed instances are refused, not deleted" reconcile --auto-approve
create=$(decision_id create)
refused=$(decision_id refuse)
[[ -n $create && -n $refused ]] || {
	echo "demo: no create or refusal recorded" >&2
	exit 1
}
step "Why did Ovi launch? The decision, its inputs at that revision, the rule, and a replay of Decide" why "$create"
step "Why was this instance not deleted? Refusals are decisions too" why "$refused"
read_at=$(ovi -o json why "$refused" | sed -n 's/^    "revision": \([0-9]*\),$/\1/p' | head -n 1)
[[ -n $read_at ]] || {
	echo "demo: ovi why showed no input revision" >&2
	exit 1
}
step "The state that refusal was decided from (time travel)" state --revision "$read_at"
step "What changed since" state diff --from "$read_at"

ui="http://127.0.0.1:$http_port/ui/"
printf '\n%s==> The same story in a browser%s\nThe web timeline: %s (the fleet at any revision, %s'"'"'s life, the WAL).\n' \
	"$bold" "$plain" "$ui" "$instance"
if [[ -t 0 ]]; then
	read -r -p "Press Enter to stop the agent. " _ || true
else
	echo "(Not a terminal: stopping now. 'bin/ovi agent -dev' serves it at http://127.0.0.1:7400/ui/.)"
fi

printf '\nDone. Next: README.md (quick start by hand), docs/operations.md (three nodes, the web UI).\n'
