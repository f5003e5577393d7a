"""Provides the exporters to the tools users already have: TensorBoard files and weight files."""
