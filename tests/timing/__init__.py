"""Tests of compare.timing."""
