"""The audit trail: typed, append-only, hash-chained events, signed checkpoints, reports."""
