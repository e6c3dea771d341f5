"""Tests of the metadata writers: TT05 simpledc (EAD.xml, EAD_doc_*.xml), our XSDs, and EAD3."""
