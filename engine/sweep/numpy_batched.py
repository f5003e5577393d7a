"""Provides the numpy trainer batched over a sweep's M members: stacked weights, one wide GEMM."""

from __future__ import annotations

import numpy as np

from engine.config import TrainerSpec
from engine.data import Dataset, Params
from engine.sweep.members import SideBySide


class BatchedNumpyMLP(SideBySide):
    """NumpyMLP for M members at once; every member shares x and y and has its own weights.

    w1 of all members lie side by side, so the first layer is one (N, D_in)·(D_in, M·H) GEMM
    for all of them, and so is its gradient; the second layer is a stack of M small matmuls.
    """

    device = "cpu"

    def __init__(self, specs: list[TrainerSpec], data: Dataset, params: list[Params]) -> None:
        dtype = np.dtype(specs[0].dtype)
        self.x = data.x.astype(dtype)  # (N, D_in)
        self.y = data.y.astype(dtype)  # (N, D_out)
        self.w1 = np.stack([p.w1 for p in params], axis=1, dtype=dtype)  # (D_in, M, H)
        self.w2 = np.stack([p.w2 for p in params], dtype=dtype)  # (M, H, D_out)
        self.b1 = _stack_bias([p.b1 for p in params], dtype)  # (M, H)
        self.b2 = _stack_bias([p.b2 for p in params], dtype)  # (M, D_out)
        # grad_y_pred is scaled by 2·(-lr) of its member, as NumpyMLP scales it by 2·(-lr)
        self.scale = np.array([2.0 * -spec.lr for spec in specs], dtype)[:, None, None]  # (M,1,1)
        n, (_, m, hidden), d_out = self.x.shape[0], self.w1.shape, self.w2.shape[2]
        self.h = np.empty((n, m, hidden), dtype)  # the wide GEMM's (N, M·H), seen per member
        self.h_relu = np.empty_like(self.h)
        self.h_negative = np.empty(self.h.shape, bool)
        self.y_pred = np.empty((m, n, d_out), dtype)
        self.grad_y_pred = np.empty_like(self.y_pred)
        self.grad_h_relu = np.empty((m, n, hidden), dtype)
        self.grad_h = np.empty_like(self.h)
        self.grad_w1 = np.empty_like(self.w1)
        self.grad_w2 = np.empty_like(self.w2)

    def step(self) -> np.ndarray:
        """One iteration of every member; returns their M losses, taken before the update."""
        with np.errstate(over="ignore", invalid="ignore"):
            losses = self.forward()
            self.backward()
            self.update()
        return losses

    def forward(self) -> np.ndarray:
        """Forward pass and each member's loss: the sum of its squared errors."""
        n, m, hidden = self.h.shape
        np.dot(self.x, self.w1.reshape(-1, m * hidden), out=self.h.reshape(n, -1))  # (N, M·H)
        if self.b1 is not None:
            self.h += self.b1
        np.maximum(self.h, 0, out=self.h_relu)  # (N, M, H)
        np.matmul(self.h_relu.transpose(1, 0, 2), self.w2, out=self.y_pred)  # (M, N, D_out)
        if self.b2 is not None:
            self.y_pred += self.b2[:, None, :]
        np.subtract(self.y_pred, self.y, out=self.grad_y_pred)  # y_pred - y, reused below
        return np.einsum("mnd,mnd->m", self.grad_y_pred, self.grad_y_pred)  # (M,)

    def backward(self) -> None:
        """Each member's gradients times -lr, as NumpyMLP.backward(scale=-lr) makes them."""
        self.grad_y_pred *= self.scale  # (M, N, D_out)
        grad_h_relu = np.matmul(self.grad_y_pred, self.w2.transpose(0, 2, 1), out=self.grad_h_relu)
        np.matmul(self.h_relu.transpose(1, 2, 0), self.grad_y_pred, out=self.grad_w2)  # (M,H,D)
        np.copyto(self.grad_h, grad_h_relu.transpose(1, 0, 2))  # (N, M, H), for the wide GEMM
        np.less(self.h, 0, out=self.h_negative)
        np.copyto(self.grad_h, 0, where=self.h_negative)  # grad_h[h < 0] = 0
        if self.frozen:  # a frozen member's gradients are zeros, whatever NaN its arrays hold
            self.grad_y_pred[self.frozen] = 0
            self.grad_w2[self.frozen] = 0
            self.grad_h[:, self.frozen] = 0
        n, m, hidden = self.h.shape
        np.dot(self.x.T, self.grad_h.reshape(n, -1), out=self.grad_w1.reshape(-1, m * hidden))

    def update(self) -> None:
        """Plain SGD for every member, with the gradients already scaled by its -lr."""
        if self.b1 is not None and self.b2 is not None:
            self.b1 += self.grad_h.sum(axis=0)
            self.b2 += self.grad_y_pred.sum(axis=1)
        self.w1 += self.grad_w1
        self.w2 += self.grad_w2

    @staticmethod
    def read_losses(pending: list[np.ndarray]) -> np.ndarray:
        """A batch of steps' losses as one (steps, M) array."""
        return np.array(pending)


def _stack_bias(biases: list[np.ndarray | None], dtype: np.dtype) -> np.ndarray | None:
    if biases[0] is None:
        return None
    return np.stack(biases, dtype=dtype)  # type: ignore[arg-type]
