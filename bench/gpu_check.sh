#!/usr/bin/env bash
# A prepared check for a GPU machine: each step after the first (CUDA is there) runs even when
# one before it failed, and the check exits non-zero at the end if any did, naming them.
#   1. CUDA is there; 2. the torch trainers headless at the seed's sizes, every one "done",
#   with CUDA graphs (--graphs auto) and without, in processes, and with graphs in threads;
#   3. the GPU-only tests (pytest -m cuda); 4. each torch trainer's it/s beside a hand-written
#   graph-captured loop of its own step, in the same run, the large size's share of the fp32 and
#   TF32 matmul limits measured there, and a 256-member sweep against the single run;
#   5. the gradient check and the equivalence margins (fp32 and TF32); 6. the app under the
#   pilot, and the app against headless (these two need textual: install the wheels first).
# Run from the repository root. Offline GPU machine: prepare with ../shared/tools/gpu-wheels.sh
# and set PYTHONPATH as it prints; steps 1-5 import no textual. DEVICE=cpu runs what can on a CPU.
set -euo pipefail
DEVICE=${DEVICE:-cuda}
PY=${PYTHON:-python3}
ROUNDS=${ROUNDS:-3}
ITERS=${ITERS:-10000}
APP_ITERS=${APP_ITERS:-20000}
SEED_ITERS=${SEED_ITERS:-3000}
TORCH=torch-manual,torch-autograd,torch-optim
WORK=$(mktemp -d)  # not OUT: a device machine names its results folder so
trap 'rm -rf "$WORK"' EXIT
mlp() { "$PY" -m tui.main "$@"; }

echo "== devices"
"$PY" - "$DEVICE" <<'PY'
import sys
import torch
from engine.devices import list_devices
for d in list_devices():
    print(" ", d.label)
print(f"  torch {torch.__version__}")
if sys.argv[1].startswith("cuda") and not torch.cuda.is_available():
    sys.exit("gpu_check: DEVICE is cuda but torch sees no CUDA device")
PY

all_done() {  # every trainer in a --jsonl file ended "done"
    "$PY" - "$1" "$2" <<'PY'
import json, sys
ends = [json.loads(l) for l in open(sys.argv[1]) if '"event"' in l]
ends = {e["trainer"]: e for e in ends if e["event"] not in ("start", "notice")}
wanted = sys.argv[2].split(",")
bad = {n: ends.get(n, {}).get("event", "missing") for n in wanted if ends.get(n, {}).get("event") != "done"}
notices = [json.loads(l)["message"] for l in open(sys.argv[1]) if '"notice"' in l]
for text in notices:
    print("  notice:", text)
if bad or notices:
    sys.exit(f"gpu_check: not every trainer ran through cleanly: {bad or notices}")
PY
}

failed=()
check() {  # check TITLE COMMAND...: a failure is counted and the check goes on (a GPU is lent for
    local title=$1  # minutes: one failed step should not cost the figures of the others)
    shift
    echo "== $title"
    if ! "$@"; then
        echo "gpu_check: failed: $title" >&2
        failed+=("$title")
    fi
}

seed_run() {  # seed_run GRAPHS WORKERS: all five trainers headless, each must end "done"
    mlp --headless --no-log --device "$DEVICE" --trainers "numpy,$TORCH" --iters "$SEED_ITERS" \
        --graphs "$1" --workers "$2" --jsonl "$WORK/seed-$1-$2.jsonl" &&
        all_done "$WORK/seed-$1-$2.jsonl" "numpy,$TORCH"
}

cuda_tests() {  # none may be skipped for want of CUDA (a second GPU may be missing)
    "$PY" -m pytest -q -p no:cacheprovider -m cuda tests/engine/test_cuda.py -rs |
        tee "$WORK/pytest.log" || return 1
    if grep -q "needs a CUDA device" "$WORK/pytest.log"; then
        echo "gpu_check: the cuda tests were skipped on a CUDA machine" >&2
        return 1
    fi
}

has_textual() {
    "$PY" -c 'import textual' 2>/dev/null && return 0
    echo "gpu_check: textual is not importable: install the wheels (../shared/tools/gpu-wheels.sh)" >&2
    return 1
}

for run in "auto process" "off process" "auto thread"; do  # threads: captures one at a time
    read -r graphs workers <<< "$run"
    check "seed sizes, $DEVICE, --graphs $graphs --workers $workers, $SEED_ITERS iterations" \
        seed_run "$graphs" "$workers"
done

if [[ "$DEVICE" == cuda* ]]; then
    check "GPU-only tests (pytest -m cuda)" cuda_tests
    check "each torch trainer beside a hand-written CUDA graph loop of its step; large size" \
        "$PY" -m bench.engine_bench --device "$DEVICE" --rounds "$ROUNDS" --iters "$ITERS"
    check "a sweep of 256 members against the single run (goal: every torch trainer >= 30x)" \
        "$PY" -m bench.sweep_bench --device "$DEVICE" --members 256 --rounds "$ROUNDS" \
        --trainers "$TORCH" --iters 5000 --sweep-iters 500
fi

check "gradient check in float64 at the seed's sizes, $DEVICE" mlp --gradcheck --device "$DEVICE"
check "same start on $DEVICE: the torch trainers against numpy, every iteration" \
    "$PY" -m bench.equivalence_margin --device "$DEVICE" --iters 300
if [[ "$DEVICE" == cuda* ]]; then
    check "the same with --matmul-precision high (TF32): the margin behind TF32_TOLERANCE" \
        "$PY" -m bench.equivalence_margin --device "$DEVICE" --iters 300 --matmul-precision high
fi

if check "textual for the app's checks" has_textual; then
    check "the app under the pilot, $DEVICE" "$PY" -m bench.pilot_check --device "$DEVICE"
    check "the app against headless, $DEVICE (goal: the app >= 0.9x headless)" \
        "$PY" -m bench.app_bench --device "$DEVICE" --rounds "$ROUNDS" --iters "$APP_ITERS"
fi
if ((${#failed[@]})); then
    printf 'gpu_check: %d failed:\n' "${#failed[@]}" >&2
    printf '  %s\n' "${failed[@]}" >&2
    exit 1
fi
echo "gpu_check: all passed"
