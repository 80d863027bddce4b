"""Benchmarks: Atlas measured at the chosen scale in one command (`manage.py atlas_bench`).

`harness` holds what every part shares (scales, goals, figures, the repeat loop); `parts/` the
measurements themselves; `runner` gives each part a fresh database and a process of its own.
"""
