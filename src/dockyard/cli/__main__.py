"""`python -m dockyard.cli`."""

from dockyard.cli import main

main()
