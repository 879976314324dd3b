"""`python -m listwatch` is the `listwatch` command."""

import sys

from listwatch.cli import main

sys.exit(main())
