"""Shared test helpers: databases, seeding, settling widgets, action fixtures, log writers."""
