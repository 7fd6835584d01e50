"""Responder wellbeing: exposure counters, breaks, shift limits."""
