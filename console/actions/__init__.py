"""Operator actions: short, checked transactions with an audit row each."""
