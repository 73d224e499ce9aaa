"""Live log tail: follow execution logs as they commit, exactly once (no Qt in here).

``engine.TailEngine`` follows; ``tracker`` holds the exactly-once argument;
``export`` saves a whole log; ``resolve`` finds executions by UUID or human id.
"""
