"""Connectors for the effects of actions beyond the brand's own tables: e-mail and a webhook."""
