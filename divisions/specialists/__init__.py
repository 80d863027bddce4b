"""The specialist agents, one module per division (`growth.py`, `retention.py`, ...).

Every module here is imported by `agents.registry.autodiscover()`; a module registers its agents
with `@agents.registry.register`.
"""
