"""``python -m graphtrace``."""

from graphtrace.cli import main

main()
