"""Tests of compare.report."""
