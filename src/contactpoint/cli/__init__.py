"""The command line: the local operator's way in (it has the server's files anyway)."""
