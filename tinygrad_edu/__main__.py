"""``python -m tinygrad_edu``: see ``cli.py``."""

from .cli import main

raise SystemExit(main())
