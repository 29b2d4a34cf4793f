"""The comparison suite's runner, parity checks, timing, report and command line."""
