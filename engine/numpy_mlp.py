"""Provides the numpy trainer: forward, loss, backward and SGD update written by hand."""

from __future__ import annotations

import numpy as np

from engine.config import TrainerSpec
from engine.data import Dataset, Params


class NumpyMLP:
    """The seed's part-1 program as a stepper; every array is allocated once and reused."""

    device = "cpu"

    def __init__(self, spec: TrainerSpec, data: Dataset, params: Params) -> None:
        dtype = np.dtype(spec.dtype)  # astype copies: the start arrays are shared, left untouched
        self.lr, self.data = spec.lr, data
        self.x = data.x.astype(dtype)  # (N, D_in)
        self.y = data.y.astype(dtype)  # (N, D_out)
        self.w1 = params.w1.astype(dtype)  # (D_in, H)
        self.w2 = params.w2.astype(dtype)  # (H, D_out)
        self.b1 = None if params.b1 is None else params.b1.astype(dtype)  # (H,)
        self.b2 = None if params.b2 is None else params.b2.astype(dtype)  # (D_out,)
        n, hidden, d_out = self.x.shape[0], self.w1.shape[1], self.w2.shape[1]
        self.h = np.empty((n, hidden), dtype)
        self.h_relu = np.empty((n, hidden), dtype)
        self.h_negative = np.empty((n, hidden), bool)
        self.y_pred = np.empty((n, d_out), dtype)
        self.grad_y_pred = np.empty((n, d_out), dtype)
        self.grad_h = np.empty((n, hidden), dtype)
        self.grad_w1 = np.empty_like(self.w1)
        self.grad_w2 = np.empty_like(self.w2)

    def step(self) -> float:
        """One iteration; returns the loss of its forward pass, taken before the update."""
        with np.errstate(over="ignore", invalid="ignore"):
            loss = self.forward()
            self.backward(scale=-self.lr)
            self.update()
        return loss

    def forward(self) -> float:
        """Forward pass and loss: y_pred = relu(x·w1 + b1)·w2 + b2, sum of squared errors."""
        np.dot(self.x, self.w1, out=self.h)  # (N, H)
        if self.b1 is not None:
            self.h += self.b1
        np.maximum(self.h, 0, out=self.h_relu)  # (N, H)
        np.dot(self.h_relu, self.w2, out=self.y_pred)  # (N, D_out)
        if self.b2 is not None:
            self.y_pred += self.b2
        np.subtract(self.y_pred, self.y, out=self.grad_y_pred)  # y_pred - y, reused below
        error = self.grad_y_pred.ravel()
        return float(np.dot(error, error))

    def backward(self, scale: float = 1.0) -> None:
        """Gradients of the loss from the forward pass just run, times `scale`.

        The backward pass is linear in grad_y_pred, so scaling that small (N, D_out) array by
        -lr makes every gradient below the SGD step itself: the update is then one addition
        per weight instead of a multiply and a subtract over (D_in, H) arrays.
        """
        self.grad_y_pred *= 2.0 * scale  # (N, D_out)
        np.dot(self.h_relu.T, self.grad_y_pred, out=self.grad_w2)  # (H, D_out)
        np.dot(self.grad_y_pred, self.w2.T, out=self.grad_h)  # grad_h_relu (N, H)
        np.less(self.h, 0, out=self.h_negative)
        np.copyto(self.grad_h, 0, where=self.h_negative)  # grad_h[h < 0] = 0
        np.dot(self.x.T, self.grad_h, out=self.grad_w1)  # (D_in, H)

    def update(self) -> None:
        """Plain SGD, w -= lr * grad, with the gradients already scaled by -lr."""
        if self.b1 is not None and self.b2 is not None:
            self.b1 += self.grad_h.sum(axis=0)
            self.b2 += self.grad_y_pred.sum(axis=0)
        self.w1 += self.grad_w1
        self.w2 += self.grad_w2

    def gradients(self) -> dict[str, np.ndarray]:
        """The gradients at the current weights, without updating them (for checks)."""
        self.forward()
        self.backward()
        grads = {"w1": self.grad_w1.copy(), "w2": self.grad_w2.copy()}
        if self.b1 is not None:
            grads["b1"] = self.grad_h.sum(axis=0)
            grads["b2"] = self.grad_y_pred.sum(axis=0)
        return grads

    def parameters(self) -> dict[str, np.ndarray]:
        """The trainer's own weight arrays, by name (perturbed in place by gradient checks)."""
        named = {"w1": self.w1, "w2": self.w2, "b1": self.b1, "b2": self.b2}
        return {name: array for name, array in named.items() if array is not None}

    def params(self) -> Params:
        """The current weights as float64 copies (the trainer goes on changing its own)."""
        b1, b2 = (None if b is None else b.astype(np.float64) for b in (self.b1, self.b2))
        return Params(self.w1.astype(np.float64), self.w2.astype(np.float64), b1, b2)

    @staticmethod
    def read_losses(pending: list[float]) -> list[float]:
        """Losses are plain floats already."""
        return pending
