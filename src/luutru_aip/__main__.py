"""``python -m luutru_aip`` runs the command-line interface."""

from luutru_aip.cli import main

raise SystemExit(main())
