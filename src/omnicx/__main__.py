"""`python -m omnicx` runs the same CLI as the `omnicx` command."""

from omnicx.cli import main

main()
