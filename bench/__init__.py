"""Provides benchmarks (not tests): the engine against the seed, and the app's overhead."""
