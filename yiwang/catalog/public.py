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
    ``search`` (the catalogue's search as an actor sees it, giving a ``SearchResult``; its
    facet filters parsed from a request's query by the dependency ``SearchFilters``) and
    ``package_dict`` (a resource found as a CKAN package dict); ``label`` (a vocabulary value
    in the reader's language); ``dataset_previews`` (what a resource's page shows of each of
    its tables, as an actor may read it: a ``TablePreview`` with the first rows and a chart's
    data; :mod:`yiwang.catalog.previews`).

Personal data
    ``PersonalKind`` (resident id, mobile, name, address) and the catalogue's masking rules:
    ``mask`` masks one value, ``masker`` gives the masking function of a kind.

A resource's data (the console's data pages)
    ``get_resource`` (a resource by id or name, as an actor may see it), ``get_distribution``
    (an active distribution and its resource), ``table_versions`` (a distribution's versions,
    newest first; ``LOADING`` is the status of one still being loaded), ``store_upload`` (an
    uploaded file kept under the upload directory, within a size limit) and ``queue_load``
    (its load queued as a job, into a new version).

Sharing between departments (:mod:`yiwang.catalog.sharing`)
    ``access_for`` (how an actor may read a resource's data, and the fields granted),
    ``active_grant`` (a department's approved, unexpired request for a resource),
    ``request_share``, ``list_share_requests`` (made to the actor's department or by it;
    ``count_share_requests`` says how many), ``get_share_request``, ``decide_share``
    (approve or reject), ``share_status`` (a request's status as users see it: an approval
    past its term reads as expired) and ``SHARE_PENDING``.

The records those functions return
    ``Resource``, ``Distribution``, ``TableVersion`` and ``ShareRequest``, for annotations
    only: they are named here when type checking and not at run time, so that outside the
    catalog they are read, never queried.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

from yiwang.catalog.datastore_edits import upsert as upsert_rows
from yiwang.catalog.datastore_versions import LOADING, get_distribution
from yiwang.catalog.datastore_versions import versions as table_versions
from yiwang.catalog.loader import queue_load, store_upload
from yiwang.catalog.packages import package_dict
from yiwang.catalog.params import SearchFilters
from yiwang.catalog.personal import PersonalKind, mask, masker
from yiwang.catalog.previews import TablePreview, dataset_previews
from yiwang.catalog.publishing import (
    Published,
    find_table,
    publish_table,
    register_table,
    replace_table,
)
from yiwang.catalog.schemas import FieldSpec, FieldType, PersonalKindName, ResourceCreate
from yiwang.catalog.service import SearchResult, get_resource, search
from yiwang.catalog.sharing import PENDING as SHARE_PENDING
from yiwang.catalog.sharing import access_for, active_grant, request_share
from yiwang.catalog.sharing import count_requests as count_share_requests
from yiwang.catalog.sharing import decide as decide_share
from yiwang.catalog.sharing import effective_status as share_status
from yiwang.catalog.sharing import get_request as get_share_request
from yiwang.catalog.sharing import list_requests as list_share_requests
from yiwang.catalog.vocab import CatalogType, Frequency, OpenClass, ShareClass, label

if TYPE_CHECKING:  # the records, to annotate with (see above)
    from yiwang.catalog import models

    Distribution: TypeAlias = models.Distribution
    Resource: TypeAlias = models.Resource
    ShareRequest: TypeAlias = models.ShareRequest
    TableVersion: TypeAlias = models.TableVersion

__all__ = [
    "LOADING",
    "SHARE_PENDING",
    "CatalogType",
    "FieldSpec",
    "FieldType",
    "Frequency",
    "OpenClass",
    "PersonalKind",
    "PersonalKindName",
    "Published",
    "ResourceCreate",
    "SearchFilters",
    "SearchResult",
    "ShareClass",
    "TablePreview",
    "access_for",
    "active_grant",
    "count_share_requests",
    "dataset_previews",
    "decide_share",
    "find_table",
    "get_distribution",
    "get_resource",
    "get_share_request",
    "label",
    "list_share_requests",
    "mask",
    "masker",
    "package_dict",
    "publish_table",
    "queue_load",
    "register_table",
    "replace_table",
    "request_share",
    "search",
    "share_status",
    "store_upload",
    "table_versions",
    "upsert_rows",
]
