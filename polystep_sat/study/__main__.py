"""``python -m polystep_sat.study ...``: the same as ``polystep-sat scale ...``."""

import sys

from polystep_sat.study.command import main

sys.exit(main())
