"""The Live tail page: a bounded table model fed by the tail engine at frame rate."""
