"""Commands that make runs of their own: bench, cost, pitfalls and its pages. Imports report, run and below."""
