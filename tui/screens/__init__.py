"""Provides the dashboard's modal screens: controls, device selector, help."""
