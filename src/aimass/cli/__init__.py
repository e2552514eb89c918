"""The command line: thin Typer commands over plain functions (``aimass --help``)."""
