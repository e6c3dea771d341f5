"""Tests of the METS and PREMIS writers (luutru_aip.metadata.mets / .premis)."""
