"""The Overview page (charts and tiles of what the engine is doing)."""
