"""Commands that make runs of their own: bench, cost. Import report, run and below."""
