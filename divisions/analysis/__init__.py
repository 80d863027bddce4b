"""The specialists' analyses: selector-style functions `(today, config) -> dataclasses`, one module per division."""
