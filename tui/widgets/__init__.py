"""Provides the dashboard's widgets: loss plot and trainer panel."""
