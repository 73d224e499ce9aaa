"""Maintenance of ``execution_logs`` at scale: month partitions and retention."""
