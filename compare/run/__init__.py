"""The runner, the workers, process groups, the timekeeper, results.json. Imports check, timing, own and below."""
