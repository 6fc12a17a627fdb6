#!/usr/bin/env bash
# Run every benchmark script once on a tiny sample (`--limit 2`), so that a missing dependency or a
# renamed API fails CI (make bench-smoke).  The figures mean nothing at this size and are not kept.
#
# A benchmark is a benchmarks/*.py file with an `if __name__ == "__main__":` block; the others
# (bioasq.py, measure.py) are libraries the benchmarks import.  Evaluation sets are read from
# ../shared/data/eval/ when it is there; a benchmark that finds no evaluation set says "skipped:"
# and measures the rest, so this runs with or without them.
#
# The scripts run one per core (JOBS): each mostly uses one, and CI has a 20-minute budget.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-.venv/bin/python}
LIMIT=${LIMIT:-2}
JOBS=${JOBS:-$(nproc)}
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT

smoke() {  # smoke SCRIPT: run it, print one line (and the log's tail on failure), leave NAME.failed behind
    local script=$1 name log started status skipped
    name=$(basename "$script" .py)
    log="$results/$name.log"
    started=$SECONDS
    if timeout 600 nice -n 10 "$PYTHON" "$script" --limit "$LIMIT" >"$log" 2>&1; then
        status=ok
    else
        status="FAILED (exit $?)"
        touch "$results/$name.failed"
    fi
    skipped=$(grep -c '^skipped:' "$log" || true)
    {
        echo "benchmark smoke: $name $status in $((SECONDS - started)) s${skipped:+, $skipped part(s) skipped for lack of data}" | sed 's/, 0 part(s) skipped for lack of data//'
        if [[ $status != ok ]]; then
            tail -n 30 "$log" | sed 's/^/    /'
        fi
    } >"$results/$name.out"
    cat "$results/$name.out"
}

for script in benchmarks/*.py; do
    grep -q '^if __name__ == "__main__":' "$script" || continue
    while (($(jobs -rp | wc -l) >= JOBS)); do
        wait -n || true
    done
    smoke "$script" &
done
wait
shopt -s nullglob
failed=("$results"/*.failed)
failed=("${failed[@]##*/}")
failed=("${failed[@]%.failed}")
if ((${#failed[@]})); then
    echo "benchmark smoke: failed: ${failed[*]}"
    exit 1
fi
