"""The suite, bottom up: errors, frameworks, problem; check, timing, own; run; report; commands; cli, testing; readme"""
