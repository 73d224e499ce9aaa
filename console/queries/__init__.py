"""Read queries of the table pages: pure functions over a SQLAlchemy Connection.

Nothing here imports Qt.  Big tables are read in keyset windows on the
schema's indexes, totals come from planner estimates unless asked for exactly,
and every filter value travels as a bound parameter.
"""
