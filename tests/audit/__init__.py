"""Tests of the periodic fixity audit engine (issue 7): luutru_aip.audit and `luutru-aip audit`."""
