"""Parity, step-local probes, sensitivity, a difference's shape: pure functions. Imports the bottom layers."""
