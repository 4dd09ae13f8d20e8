"""Sources and source records: where every value in the directory came from."""
