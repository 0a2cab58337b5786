import sys

from healthomics_run.commands.cli import console

sys.exit(console(["status", *sys.argv[1:]]))
