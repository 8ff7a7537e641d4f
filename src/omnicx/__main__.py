"""`python -m omnicx` runs the same CLI as the `omnicx` command."""

from omnicx.app.cli import main

main()
