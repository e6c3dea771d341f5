"""Metadata layer (L1): hardened XML parsing (:mod:`._xml`), the schema store
(:mod:`.schemastore`) and the METS, PREMIS, EAD, TT05 and BagIt tag-file models.

Import from the submodules; this package initialiser stays minimal on purpose.
"""

from __future__ import annotations
