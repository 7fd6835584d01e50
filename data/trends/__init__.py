"""Trend reports over a period."""
