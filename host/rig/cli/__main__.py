"""`python -m rig.cli ...`: the `rig` command without the console script."""

import sys

from rig.cli import main

sys.exit(main())
