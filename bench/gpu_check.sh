#!/usr/bin/env bash
# A prepared check for a GPU machine: devices, the torch trainers headless on the GPU at the seed's
# sizes and at a large size, the gradient check and equivalence there, and the app once under the
# pilot on the GPU, with it/s for each.
# Run from the repository root after installing (README). DEVICE=cpu runs the same on the CPU.
set -uo pipefail
DEVICE=${DEVICE:-cuda}
TORCH=numpy,torch-manual,torch-autograd,torch-optim
LARGE_ITERS=${LARGE_ITERS:-200}

echo "== devices"
python -c 'from engine.devices import list_devices
for d in list_devices(): print(" ", d.label)'

echo "== seed sizes, $DEVICE, 1000 iterations"
mlp-tui --headless --device "$DEVICE" --trainers "$TORCH" --iters 1000

echo "== large: N=4096 D_in=4096 H=4096 D_out=1024, $DEVICE, $LARGE_ITERS iterations"
mlp-tui --headless --device "$DEVICE" --trainers torch-manual,torch-autograd,torch-optim \
    --n 4096 --d-in 4096 --hidden 4096 --d-out 1024 --iters "$LARGE_ITERS" --lr 1e-9

echo "== gradient check in float64 at the seed's sizes, $DEVICE"
mlp-tui --gradcheck --device "$DEVICE"

echo "== same start on $DEVICE: the torch trainers against numpy, every iteration"
python -m bench.equivalence_margin --device "$DEVICE" --iters 300

echo "== the app under the pilot, $DEVICE"
python -m bench.pilot_check --device "$DEVICE"
