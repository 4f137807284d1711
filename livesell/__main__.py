"""``python -m livesell`` is the ``livesell`` command."""

import sys

from .cli import main

sys.exit(main())
