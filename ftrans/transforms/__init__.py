"""Transformations: each module is one pass from ClosedJaxpr to ClosedJaxpr."""
