"""The primitives. Each module declares its primitives with all their rules
(impl, shape rule, JVP, transpose, batching) side by side."""
