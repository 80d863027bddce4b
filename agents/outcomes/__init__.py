"""Outcomes: every executed gated action checked at its horizon, and the track records they feed."""
