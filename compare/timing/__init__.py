"""The worker's clocks: phase timers, steady-state pairs and intervals, the flat loop. Imports nothing of compare."""
