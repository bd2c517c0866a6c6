"""What the catalog engine offers the rest of yiwang: the other engines and the portal import
this module (or the package), never the catalog's models or internals.

Describing a resource to register
    ``ResourceCreate`` (a resource's metadata), ``FieldSpec`` (a column of its table),
    ``FieldType`` and ``PersonalKindName`` (the values of a field's ``type`` and ``personal``),
    and the vocabularies ``CatalogType``, ``Frequency`` (update frequency), ``OpenClass`` and
    ``ShareClass`` (how open and how shared the resource is).

Publishing tables (:mod:`yiwang.catalog.publishing`)
    ``register_table`` registers a resource with an empty table unless it exists (even
    deleted); ``find_table`` gives the id of that table's distribution, or None;
    ``replace_table`` writes a new version of it and ``upsert_rows`` upserts rows into the
    current one (keyed by its primary key); ``publish_table`` publishes records as a new
    version, registering the resource and the distribution on first use, and returns a
    ``Published``.

Finding and showing resources
    ``search`` (the catalogue's search as an actor sees it, giving a ``SearchResult``) and
    ``package_dict`` (a resource found as a CKAN package dict); ``label`` (a vocabulary value
    in the reader's language).

Personal data
    ``PersonalKind`` (resident id, mobile, name, address) and the catalogue's masking rules:
    ``mask`` masks one value, ``masker`` gives the masking function of a kind.
"""

from __future__ import annotations

from yiwang.catalog.datastore import upsert as upsert_rows
from yiwang.catalog.packages import package_dict
from yiwang.catalog.personal import PersonalKind, mask, masker
from yiwang.catalog.publishing import (
    Published,
    find_table,
    publish_table,
    register_table,
    replace_table,
)
from yiwang.catalog.schemas import FieldSpec, FieldType, PersonalKindName, ResourceCreate
from yiwang.catalog.service import SearchResult, search
from yiwang.catalog.vocab import CatalogType, Frequency, OpenClass, ShareClass, label

__all__ = [
    "CatalogType",
    "FieldSpec",
    "FieldType",
    "Frequency",
    "OpenClass",
    "PersonalKind",
    "PersonalKindName",
    "Published",
    "ResourceCreate",
    "SearchResult",
    "ShareClass",
    "find_table",
    "label",
    "mask",
    "masker",
    "package_dict",
    "publish_table",
    "register_table",
    "replace_table",
    "search",
    "upsert_rows",
]
