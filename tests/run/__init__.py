"""Tests of compare.run."""
