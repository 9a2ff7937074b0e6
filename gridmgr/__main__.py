"""`python -m gridmgr` runs the command line."""

import sys

from gridmgr.cli.main import main

sys.exit(main())
