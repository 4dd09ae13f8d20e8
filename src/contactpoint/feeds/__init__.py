"""Source feeds: parsing extracts, loads and their reports, the link export."""
