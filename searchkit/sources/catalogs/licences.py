"""Licences as short canonical labels, whatever way the catalogue spelled them.

The same licence reaches us as an id (``lov2``, ``fr-lo``, ``odc-odbl``), a
title (``Licence Ouverte / Open Licence version 2.0``), a URL
(``https://www.etalab.gouv.fr/wp-content/uploads/2017/04/ETALAB-Licence-Ouverte-v2.0.pdf``),
an SPDX id (``etalab-2.0``, ``CC-BY-4.0``) or a sentence wrapped in ArcGIS HTML
(``Soumis à la licence Etalab : https://...``).  ``normalise_licence`` returns one
label from a closed list, so that facets count one value per licence:

=========================  =============================================================
label                      spellings seen in the corpus (and their usual cousins)
=========================  =============================================================
Licence Ouverte 2.0        ``lov2``, ``Licence Ouverte / Open Licence version 2.0``,
                           ``Licence Ouverte Version 2.0``, ``Licence Ouverte 2.0``,
                           ``etalab-2.0``, ``.../2017/04/ETALAB-Licence-Ouverte-v2.0.pdf``,
                           ``.../2018/11/open-licence.pdf``
Licence Ouverte 1.0        ``fr-lo``, ``Licence Ouverte / Open Licence`` (data.gouv.fr's
                           title for ``fr-lo``), ``.../pages/Licence_ouverte_Open_licence-5899923.html``,
                           ``.../2014/05/Licence_Ouverte.pdf``
Licence Ouverte            no version given: ``Soumis à la licence Etalab : https://www.etalab.gouv.fr/licence-ouverte-open-licence/``,
                           ``Licence Ouverte / Open License (compatible ODC-BY, CC-BY 2.0)``
ODbL                       ``odc-odbl``, ``Open Data Commons Open Database License (ODbL)``
ODC-BY, PDDL               ``odc-by``, ``odc-pddl``, ``Open Data Commons Public Domain
                           Dedication and Licence (PDDL)``
CC-BY, CC-BY 4.0 ...       ``cc-by``, ``Creative Commons Attribution``, ``CC-BY-4.0``,
                           ``https://creativecommons.org/licenses/by/4.0/``; the version is
                           only added when the source gives it
CC-BY-SA ...               ``cc-by-sa``, ``Creative Commons Attribution Share-Alike``
CC0                        ``cc-zero``, ``CC0-1.0``, ``Creative Commons CCZero``
Autre (attribution)        ``other-at``, ``Other (Attribution)``
Autre (ouverte)            ``other-open``, ``Other (Open)``
Autre (domaine public)     ``other-pd``, ``Other (Public Domain)``
Autre (non ouverte)        ``other-closed``, ``Other (Not Open)``
Non spécifiée              ``notspecified``, ``License Not Specified``
Autre                      anything else (``Ayant droit IGN Bénéficiaires du RGE``,
                           ``Autre Licence (spécifique)``...); the text stays in
                           ``licence_original``
=========================  =============================================================

    >>> normalise_licence("Licence Ouverte / Open Licence version 2.0")
    'Licence Ouverte 2.0'
    >>> normalise_licence("odc-odbl")
    'ODbL'
    >>> normalise_licence("")
    ''
"""

from __future__ import annotations

import re

from searchkit.textnorm import fold

LO2 = "Licence Ouverte 2.0"
LO1 = "Licence Ouverte 1.0"
LO = "Licence Ouverte"
OTHER = "Autre"
NOT_SPECIFIED = "Non spécifiée"

_IDS = {
    "lov2": LO2, "lo-2.0": LO2, "lo2": LO2, "etalab-2.0": LO2, "etalab-v2": LO2, "fr-lo-2.0": LO2,
    "licence-ouverte-v2": LO2, "licence-ouverte-2.0": LO2,
    "fr-lo": LO1, "lo-1.0": LO1, "etalab-1.0": LO1, "licence-ouverte-v1": LO1,
    "odc-odbl": "ODbL", "odbl": "ODbL", "odbl-1.0": "ODbL", "odc-odbl-1.0": "ODbL",
    "odc-by": "ODC-BY", "odc-by-1.0": "ODC-BY",
    "odc-pddl": "PDDL", "pddl": "PDDL", "odc-pddl-1.0": "PDDL",
    "cc-zero": "CC0", "cc0": "CC0", "cc0-1.0": "CC0", "cczero": "CC0",
    "other-at": "Autre (attribution)", "other (attribution)": "Autre (attribution)",
    "other-open": "Autre (ouverte)", "other (open)": "Autre (ouverte)",
    "other-pd": "Autre (domaine public)", "other (public domain)": "Autre (domaine public)",
    "other-closed": "Autre (non ouverte)", "other (not open)": "Autre (non ouverte)",
    "other-nc": "Autre (non commerciale)", "other (non-commercial)": "Autre (non commerciale)",
    "notspecified": NOT_SPECIFIED, "not-specified": NOT_SPECIFIED,
    "license not specified": NOT_SPECIFIED, "licence non specifiee": NOT_SPECIFIED,
    "mit": "MIT", "apache-2.0": "Apache 2.0", "gpl-3.0": "GPL 3.0", "eupl-1.2": "EUPL 1.2",
    # data.gouv.fr's title for fr-lo: version 1.0 (version 2.0 says so)
    "licence ouverte / open licence": LO1,
}

# titles whose version is only inferred: a URL naming another version wins
_INFERRED_VERSION = {"licence ouverte / open licence"}
_COMPAT = re.compile(r"\([^)]*compatib[^)]*\)")
_LO_NAME = re.compile(r"licen[cs]e[\s_-]*ouverte|open[\s_-]*licen[cs]e|etalab")
_VERSION = re.compile(r"\bv(?:ersion)?[\s._-]*([12])(?:[._]0)?\b|\b([12])[._]0\b")
_ETALAB_UPLOAD = re.compile(r"etalab\.gouv\.fr/wp-content/uploads/(\d{4})/")
_CC_URL = re.compile(r"creativecommons\.org/(?:licenses|licences)/([a-z-]+)/(\d\.\d)")
_CC_CODE = re.compile(r"\bcc[\s_-]?(by(?:[\s_-](?:sa|nc|nd))*)(?:[\s_-]*v?(\d(?:\.\d)?))?\b")
_CC_VERSION = re.compile(r"\b([1-4])\.0\b")


def _open_licence(key: str) -> str:
    """Licence Ouverte, with a version only when the text or URL gives one."""
    upload = _ETALAB_UPLOAD.search(key)
    if upload:
        return LO2 if int(upload.group(1)) >= 2017 else LO1
    if "licence_ouverte_open_licence-5899923" in key:  # the 2011 page of version 1.0
        return LO1
    after = key[_LO_NAME.search(key).start():] if _LO_NAME.search(key) else key
    version = _VERSION.search(after)
    if version:
        return LO2 if (version.group(1) or version.group(2)) == "2" else LO1
    return LO


def _creative_commons(key: str) -> str | None:
    if re.search(r"\bcc[\s_-]?(?:0|zero)\b|cczero|publicdomain/zero", key):
        return "CC0"
    parts: list[str] = []
    version = ""
    url = _CC_URL.search(key)
    code = _CC_CODE.search(key)
    if url:
        parts = url.group(1).split("-")
        version = url.group(2)
    elif code:
        parts = re.split(r"[\s_-]", code.group(1))
        version = code.group(2) or ""
    elif "creative commons" in key or "creativecommons" in key:
        parts = ["by"] if "attribution" in key or " by" in key else []
        if "share" in key or "partage" in key:
            parts.append("sa")
        if "noncommercial" in key or "non commercial" in key or "non-commercial" in key:
            parts.append("nc")
        if "noderiv" in key or "no deriv" in key or "pas de modification" in key:
            parts.append("nd")
    else:
        return None
    if not parts:
        return None
    if not version:
        found = _CC_VERSION.search(key)
        version = found.group(0) if found else ""
    if version and "." not in version:
        version += ".0"
    label = "CC-" + "-".join(p.upper() for p in parts)
    return f"{label} {version}" if version else label


def normalise_licence(text: str, url: str = "") -> str:
    """The canonical label of a licence given as id, title, sentence or URL ('' if none).

    ``url`` is a second opinion (a CKAN ``license_url``, an ISO anchor's href):
    it is used when ``text`` is empty or unknown, or names the Licence Ouverte
    without saying which version.
    """
    key = " ".join(fold(text or "").lower().split())
    url_key = fold(url or "").lower().strip()
    if not key and not url_key:
        return ""
    if not key:
        key, url_key = url_key, ""
    label = _IDS.get(key) or _IDS.get(key.replace(" ", "-"))
    if label is None:
        key_wo = _COMPAT.sub(" ", key)
        if "not specified" in key_wo or "non specifie" in key_wo or "non precise" in key_wo:
            label = NOT_SPECIFIED
        elif "odbl" in key_wo or "open database licen" in key_wo:
            label = "ODbL"
        elif "pddl" in key_wo or "public domain dedication" in key_wo:
            label = "PDDL"
        elif "odc-by" in key_wo or "open data commons attribution" in key_wo:
            label = "ODC-BY"
        elif _LO_NAME.search(key_wo):
            label = _open_licence(key_wo)
        else:
            label = _creative_commons(key_wo) or OTHER
    if url_key and label in (LO, LO1, LO2, OTHER):
        second = normalise_licence(url_key)
        if label == OTHER and second not in ("", OTHER, NOT_SPECIFIED):
            label = second
        elif second in (LO1, LO2) and (label == LO or key in _INFERRED_VERSION):
            label = second  # the URL names a version, the text did not
    return label
