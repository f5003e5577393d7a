"""Provides sweeps: many copies of one trainer, one per setting, trained as one batched model."""
