"""The table, report.md, its figures and the implementations' source. Imports run's results and below."""
