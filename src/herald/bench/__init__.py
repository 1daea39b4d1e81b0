"""Benchmarks of Herald on this machine (``herald bench ...``); they print numbers, never judge."""
