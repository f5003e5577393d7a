"""Provides the Textual dashboard for mlp-tui; the only package that knows Textual."""
