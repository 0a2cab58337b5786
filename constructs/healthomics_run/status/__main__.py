import sys

from ..plan.cli import console

sys.exit(console(["status", *sys.argv[1:]]))
