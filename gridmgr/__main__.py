"""`python -m gridmgr` runs the command line."""

import sys

from gridmgr.cli import main

sys.exit(main())
