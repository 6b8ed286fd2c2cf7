#!/bin/bash
# Run here, in the repository's root, before a device run: bundles the bench and Usher
# (.devbench/, bench/device/bundle.mjs) and packs this machine's node and redis-server (.devkit/,
# ../shared/tools/device-node-redis.sh). Both folders are ignored by git and travel as `carry`.
set -euo pipefail
cd "$(dirname "$0")/../.."
node bench/device/bundle.mjs .devbench
kit=${USHER_DEVKIT_TOOL:-../shared/tools/device-node-redis.sh}
if [ ! -f .devkit/unpack.sh ]; then bash "$kit" .devkit; fi
du -sh .devbench .devkit
