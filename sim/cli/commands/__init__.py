"""One module per ``sim`` command; each exposes ``command(args) -> exit code``."""
