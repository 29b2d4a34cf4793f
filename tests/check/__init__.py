"""Tests of compare.check."""
