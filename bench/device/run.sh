#!/bin/bash
# The device run of issue 16 (items 1 and 4), on the 16-core machine with nothing installed:
#   run({ command: "bash bench/device/run.sh", carry: [".devbench", ".devkit"], timeout_s: 600 })
# after `bash bench/device/prepare.sh` here. Cores: Redis on 0, each server (a front, the memory
# process, the floor, Usher) alone on one of 1-9, the bench and its load generators on 10-15.
# Writes $OUT/scaleout.json, $OUT/saturated.txt and $OUT/log.txt. STEPS="scaleout saturated"
# (the default) chooses what runs; REDIS_CORE, SERVER_CORES and BENCH_CORES move the cores (empty:
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
for step in ${STEPS:-scaleout saturated}; do
  start=$(date +%s)
  case $step in
    scaleout)
      USHER_BENCH_SCALEOUT_N=${SCALEOUT_N:-1,2,4,8} USHER_BENCH_SCALEOUT_USERS=${SCALEOUT_USERS:-200} \
        bench .devbench/run.mjs scaleout --out="$out/scaleout.json" ;;
    saturated)
      bench .devbench/cpuPerRequest.mjs --generators=4 --window-ms=${WINDOW_MS:-3000} --rounds=3 --users=50 \
        --protocol=sse,ws3 --pattern=kept,fresh > "$out/saturated.txt"; cat "$out/saturated.txt" ;;
    *) echo "unknown step $step" ;;
  esac
  echo "step $step: $(( $(date +%s) - start )) s"
done
