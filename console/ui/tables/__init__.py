"""The table pages: windowed keyset models, filter bar, detail panes."""
