"""``python -m zoo``: the ``gan-zoo`` command line."""

import sys

from zoo.cli import main

sys.exit(main())
