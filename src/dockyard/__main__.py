"""`python -m dockyard`: the console script."""

from dockyard.entry import main

main()
