#!/bin/bash
# The device run of issue 16 (items 1 and 4), on the 16-core machine with nothing installed:
#   run({ command: "bash bench/device/run.sh", carry: [".devbench", ".devkit"], timeout_s: 600 })
# after `bash bench/device/prepare.sh` here. Cores: Redis on 0, each server (a front, the memory
# process, the floor, Usher) alone on one of 1-9, the bench and its load generators on 10-15.
# Writes $OUT/scaleout.json, $OUT/scripts.txt, $OUT/cpu.json (item 1, saturated), $OUT/scaleout-wide.json and $OUT/log.txt.
# "scripts" reads Redis's work per prediction of one front's engine (redisPerEvent, no HTTP) beside the
# floor of the same commands run from a script with no logic (--floor): what a leaner script would
# save on this machine's cores, and what only fewer commands can.
# "scaleout_wide" runs N = 1 and 8 again with 256 jobs per front instead of 8: more slots than users
# at one front, so that no job waits for a slot whose last job's release is still on its way to
# Redis (the point at 8 slots can be bound by those round trips rather than by CPU; see
# bench/README.md, 2026-12-06); one ratio pair there (the main step measures three). STEPS="scaleout scripts saturated scaleout_wide" (the default) chooses what runs; REDIS_CORE, SERVER_CORES and BENCH_CORES move the cores (empty:
# not pinned, for a dry run on a small machine).
set -uo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-/tmp/usher-device-out}; mkdir -p "$out"
exec > >(tee -a "$out/log.txt") 2>&1
eval "$(bash .devkit/unpack.sh)"
echo "machine: $(nproc) cores, $(uname -r), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
"$NODE" --version
if ! command -v taskset >/dev/null; then
  echo "no taskset here: nothing is pinned (the figures are not the pinned ones)"; REDIS_CORE= SERVER_CORES= BENCH_CORES=
fi
pin() { local cores=$1; shift; if [ -n "$cores" ]; then taskset -c "$cores" "$@"; else "$@"; fi; }
pin "${REDIS_CORE-0}" "$REDIS_SERVER" --port 6390 --save "" --appendonly no --daemonize yes --logfile "$out/redis.log"
for _ in $(seq 50); do "$NODE" -e 'require("net").connect(6390, "127.0.0.1").on("connect", () => process.exit(0)).on("error", () => process.exit(1))' && break; sleep 0.1; done
export USHER_BENCH_BUNDLE=$PWD/.devbench USHER_BENCH_SERVER_CORES=${SERVER_CORES-1-9} USHER_BENCH_GENERATORS=${GENERATORS:-6}
export USHER_BENCH_REDIS_URL=redis://127.0.0.1:6390
bench() { pin "${BENCH_CORES-10-15}" "$NODE" "$@"; }
for step in ${STEPS:-scaleout scripts saturated scaleout_wide}; do
  start=$(date +%s)
  case $step in
    scaleout)
      USHER_BENCH_SCALEOUT_N=${SCALEOUT_N:-1,2,4,8} USHER_BENCH_SCALEOUT_USERS=${SCALEOUT_USERS:-200} \
        bench .devbench/run.mjs scaleout --out="$out/scaleout.json" ;;
    scaleout_wide)
      USHER_BENCH_SCALEOUT_N=1,8 USHER_BENCH_SCALEOUT_USERS=${SCALEOUT_USERS:-200} USHER_BENCH_SCALEOUT_THREADS=256 USHER_BENCH_SCALEOUT_PAIRS=1 \
        bench .devbench/run.mjs scaleout --out="$out/scaleout-wide.json" ;;
    scripts)
      bench .devbench/redisPerEvent.mjs --rounds=3 --n=20000 --floor --mix --url="$USHER_BENCH_REDIS_URL" > "$out/scripts.txt"
      cat "$out/scripts.txt" ;;
    saturated)
      # The "cpu" scenario saturated: 4 generator processes, both servers on cores of their own, 50 users.
      USHER_BENCH_GENERATORS=4 USHER_BENCH_CPU_USERS=50 \
        bench .devbench/run.mjs cpu --time-scale=${CPU_TIME_SCALE:-1} --out="$out/cpu.json" ;;
    *) echo "unknown step $step" ;;
  esac
  echo "step $step: $(( $(date +%s) - start )) s"
done
# The run's Redis goes with it (a dry run here would leave it on 6390).
"$NODE" -e 'const s = require("net").connect(6390, "127.0.0.1", () => s.end("SHUTDOWN NOSAVE\r\n")); s.on("error", () => {})'
