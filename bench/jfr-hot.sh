#!/usr/bin/env bash
# Hot methods of a JFR recording made by accept-path.sh / read-path.sh with PROFILE=1: bench/jfr-hot.sh FILE.jfr [TOP]
exec python3 "$(dirname "$0")/jfr-hot.py" "$@"
