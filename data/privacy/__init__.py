"""Masking, need-to-know access, safe text and private output files."""
