"""Tests of compare.commands."""
