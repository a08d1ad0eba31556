#!/usr/bin/env bash
# Issue 22: the example Slurm array (examples/slurm/sweep-array.sbatch) on a real single-node
# Slurm started here, its shards merged, and the merge compared byte for byte with the same sweep
# run unsharded. Installs Debian's slurm-wlm and munge when absent (as root), runs munged,
# slurmctld and slurmd on loopback ports with everything under one temp folder, and stops them
# on exit. Run from the repository after `npm ci`:  bash scripts/slurm-local.sh
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
as_root=""; [ "$(id -u)" = 0 ] || as_root="sudo -n"
if ! command -v sbatch >/dev/null || [ ! -x /usr/sbin/slurmctld ] || [ ! -x /usr/sbin/munged ]; then
  $as_root apt-get update -qq
  $as_root env DEBIAN_FRONTEND=noninteractive RUNLEVEL=1 apt-get install -y -qq slurm-wlm munge >/dev/null
fi

tmp="$(mktemp -d /tmp/routesim-slurm-XXXXXX)"
chmod 755 "$tmp"
pids=()
cleanup() {
  for p in "${pids[@]}"; do $as_root kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in "${pids[@]}"; do $as_root kill -9 "$p" 2>/dev/null || true; done
  $as_root rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }
host="$(hostname -s)"
cpus="$(nproc)"
mem=$(( $(awk '/MemTotal/{print $2}' /proc/meminfo) / 1024 / 2 ))

# munge: its own key, socket and files in the temp folder (the system's munged is left alone).
mkdir -p "$tmp/munge"
$as_root dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1 count=1024 status=none
$as_root chown -R munge:munge "$tmp/munge"
$as_root chmod 700 "$tmp/munge"
$as_root chmod 400 "$tmp/munge/munge.key"
$as_root runuser -u munge -- /usr/sbin/munged --key-file="$tmp/munge/munge.key" \
  --socket="$tmp/munge/munge.socket" --pid-file="$tmp/munge/munged.pid" \
  --log-file="$tmp/munge/munged.log" --seed-file="$tmp/munge/munged.seed" --force
sleep 0.5
pids+=("$($as_root cat "$tmp/munge/munged.pid")")

mkdir -p "$tmp/state" "$tmp/spool" "$tmp/log"
cat > "$tmp/slurm.conf" <<CONF
ClusterName=routesim-ci
SlurmctldHost=$host
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
AuthType=auth/munge
AuthInfo=socket=$tmp/munge/munge.socket
CredType=cred/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/builtin
ReturnToService=2
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=30 State=UP
CONF
export SLURM_CONF="$tmp/slurm.conf"
$as_root env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmctld
$as_root env SLURM_CONF="$SLURM_CONF" /usr/sbin/slurmd
for _ in $(seq 1 30); do
  [ -s "$tmp/slurmctld.pid" ] && [ -s "$tmp/slurmd.pid" ] && sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
pids+=("$($as_root cat "$tmp/slurmd.pid")" "$($as_root cat "$tmp/slurmctld.pid")")
sinfo -h -o '%P %D %T' | grep -q idle || { echo "slurm did not come up"; $as_root cat "$tmp/log/"*.log; exit 1; }

out="$tmp/sweep"
mkdir -p "$out/log"
start=$(date +%s)
job=$(ROUTESIM_OUT="$out" sbatch --parsable --chdir="$repo" --output="$out/log/task-%a.out" \
  --export=ALL examples/slurm/sweep-array.sbatch)
echo "submitted array job $job (4 tasks)"
for _ in $(seq 1 600); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || { echo "array job $job did not finish in 10 minutes"; exit 1; }
wall=$(( $(date +%s) - start ))
for i in 1 2 3 4; do
  [ -s "$out/shard-$i/sweep.json" ] || { echo "task $i left no shard"; cat "$out/log/task-$i.out" || true; exit 1; }
done
echo "4 tasks done in ${wall} s"

node bin/routesim.js merge "$out"/shard-* --out "$out/merged" -q
# The same sweep on one machine, unsharded.
node bin/routesim.js sweep scenarios/flagship.yaml \
  --set 'providers[0].price.prompt=0.05,0.1,0.2,0.4' --set traffic.arrivals.rate_per_s=20,40 \
  --replications 2 --requests 5000 --jobs 1 --out "$out/whole" -q
# run.json holds wall times and the command: everything else must be the same bytes.
if diff -r --exclude=run.json "$out/whole" "$out/merged" >"$tmp/diff.txt"; then
  files=$(find "$out/merged" -type f ! -name run.json | wc -l)
  echo "merged result of 4 Slurm tasks is byte-identical to the unsharded sweep ($files files)"
else
  echo "merged result differs from the unsharded sweep:"; head -40 "$tmp/diff.txt"; exit 1
fi
