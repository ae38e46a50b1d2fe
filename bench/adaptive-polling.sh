#!/usr/bin/env bash
# Acceptance 6: adaptive poll schedule vs TheRouter's fixed 5-second loop, on uniform 30-180 s and log-normal
# (median 60 s, sigma 0.35) run times. Pure computation with the production planner; no network; ~5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_build
bench_driver com.acme.imageedit.dispatch.PollScheduleBench 2>&1 | grep -v SLF4J
