"""Commands that make runs of their own: bench, cost, the README's generator. Import report, run and below."""
