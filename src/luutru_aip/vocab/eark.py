"""E-ARK CSIP controlled vocabularies shared by the METS writer and the validator (L0).

Facts from the specifications, kept in one place: the DILCIS "VocabularyContentCategory" terms for
``mets/@TYPE`` (CSIP2, as of 2024-05-17; note the EN DASH, U+2013, in the LoC-derived terms) and the
``csip:CONTENTINFORMATIONTYPE`` enumeration of DILCISExtensionMETS.xsd (CSIP 2.2.0).
"""

from __future__ import annotations

from typing import Final

__all__ = ["CONTENT_CATEGORIES", "CONTENT_INFORMATION_TYPES"]

#: ``mets/@TYPE`` terms (CSIP2), in vocabulary order.
CONTENT_CATEGORIES: Final = (
    "Textual works – Print",
    "Textual works – Digital",
    "Textual works – Electronic Serials",
    "Digital Musical Composition (score-based representations)",
    "Musical Scores - Print",
    "Musical Scores - Digital",
    "Photographs – Print",
    "Photographs – Digital",
    "Other Graphic Images – Print",
    "Other Graphic Images – Digital",
    "Microforms",
    "Audio – On Tangible Medium (digital or analog)",
    "Audio – Media-independent (digital)",
    "Motion Pictures – Digital and Physical Media",
    "Video – File-based and Physical Media",
    "Software",
    "Software and Video Games",
    "Email",
    "Datasets",
    "Geospatial Data",
    "Geographic Information System (GIS) - Vector Data",
    "GIS Raster and Georeferenced Images",
    "GIS Vector and Raster Combined",
    "Non-GIS Cartographic",
    "2D and 3D Computer Aided Design",
    "Design (schematics, architectural drawings) - Print",
    "Scanned 3D Objects (output from photogrammetry scanning)",
    "Databases",
    "Websites",
    "Web Archives",
    "Collection",
    "Event",
    "Image",
    "Interactive resource",
    "Moving image",
    "Sound",
    "Still image",
    "Text",
    "Physical object",
    "Service",
    "Mixed",
    "Other",
)

#: ``csip:CONTENTINFORMATIONTYPE`` values (CSIP4).
CONTENT_INFORMATION_TYPES: Final = frozenset(
    {
        "ERMS",
        "SIARD1",
        "SIARD2",
        "SIARDDK",
        "GeoData",
        "citcarchival_v1_0",
        "citsarchival_v1_0",
        "csarchival_v1_0",
        "citspremis_v1_0",
        "cspremis_v1_0",
        "citserms_v2_1",
        "citserms_v3_0",
        "citsehpj_v1_0",
        "citsehpj_v2_0",
        "citsehcr_v1_0",
        "citssiard_v1_0",
        "citsgeospatial_v3_0",
        "MIXED",
        "OTHER",
    }
)
