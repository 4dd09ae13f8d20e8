"""The directory: each child's record and everything it may hold (and nothing more)."""
