"""`python -m helpers.grade`: the command line (see `helpers.grade`)."""

import sys

from helpers.grade import main

sys.exit(main())
