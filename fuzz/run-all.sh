#!/bin/sh
# Runs the fuzz targets one after another for SECONDS seconds each (default 90), on stable Rust,
# without sanitizer: `./run-all.sh 300` runs all six, `./run-all.sh 300 schedule pii` two.
# New inputs go to corpus/<target> (the hand-written seeds of seeds/<target> are read too),
# crashes to artifacts/<target>, logs to logs/<target>.log; none of these are committed.
set -u
cd "$(dirname "$0")"
SECONDS_EACH="${1:-90}"
[ $# -gt 0 ] && shift
TARGETS="${*:-commands schedule card config pii linear}"
mkdir -p logs
for target in $TARGETS; do
    mkdir -p "corpus/$target"
    dict=""
    [ -f "dicts/$target.dict" ] && dict="-dict=dicts/$target.dict"
    max_len=8193
    [ "$target" = linear ] && max_len=256
    echo "== $target"
    cargo fuzz run -s none "$target" "corpus/$target" "seeds/$target" -- \
        -max_total_time="$SECONDS_EACH" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048 \
        $dict >"logs/$target.log" 2>&1
    echo "exit $?"
    grep -E "^Done|panicked at|^SUMMARY" "logs/$target.log" | tail -3
done
