"""Command-line interface: one module per command; parse flags, call the library, print."""
