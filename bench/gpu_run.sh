#!/usr/bin/env bash
# The whole GPU check in one command, for a GPU machine lent for minutes: `bash bench/gpu_check.sh`,
# then the whole test suite, each log kept in RESULTS (default: $OUT where it is set, else a
# new folder), with the GPU named at the top. Exits non-zero if either failed.
# Offline machine: make .whl/ first where pip works (../shared/tools/gpu-wheels.sh, from the project
# root) and carry it along; this installs it into /tmp/site and puts that on PYTHONPATH.
# In the GPU machine's environment here (Python 3.12, torch 2.11.0, the wheels in /tmp/site), on
# this project's 2-core CPU with DEVICE=cpu: the check took 116 s with ROUNDS=1, the suite 191 s.
# Where a device tool lends the machine: run `bash bench/gpu_run.sh`, carrying .whl, timeout 600 s.
set -uo pipefail
cd "$(dirname "$0")/.."
RESULTS=${RESULTS:-${OUT:-$(mktemp -d)}}
PY=${PYTHON:-python3}
if [ -d .whl ]; then
    "$PY" -m pip install -q --no-index --no-deps --no-compile --upgrade --target /tmp/site .whl/*.whl || exit 1
    export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
fi
export PYTHONUNBUFFERED=1 PYTHON="$PY"
{ nvidia-smi -L 2>/dev/null || true; "$PY" -c 'import torch; print("torch", torch.__version__)'; } \
    | tee "$RESULTS/device.txt"
bash bench/gpu_check.sh 2>&1 | tee "$RESULTS/gpu_check.log"
check=${PIPESTATUS[0]}
"$PY" -m pytest -q -p no:cacheprovider -rs 2>&1 | tee "$RESULTS/pytest.log"
tests=${PIPESTATUS[0]}
echo "gpu_run: bench/gpu_check.sh exit $check, pytest exit $tests; logs in $RESULTS"
[ "$check" -eq 0 ] && [ "$tests" -eq 0 ]
