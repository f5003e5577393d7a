"""Provides the trainers, the runner that drives them and the headless command; no Textual here."""
