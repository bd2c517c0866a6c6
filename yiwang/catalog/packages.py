"""Catalogue entries in CKAN's shape: a resource is a package, a distribution is a resource,
a department an organization, a category a group. The native API, the CKAN Action API and the
DCAT-AP export all use these dicts."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiwang.catalog.models import Distribution, Resource, TableVersion
from yiwang.catalog.service import metadata_values, spatial_name
from yiwang.catalog.vocab import CATEGORIES, LICENSES, label
from yiwang.core.identity import Department

_DS_TYPES = {
    "integer": "int",
    "decimal": "numeric",
    "boolean": "bool",
    "date": "date",
    "datetime": "timestamp",
    "text": "text",
}


def ckan_type(kind: str) -> str:
    return _DS_TYPES.get(kind, "text")


def iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def organization_dict(department: Department, *, count: int | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": str(department.id),
        "name": department.slug,
        "title": department.name_zh,
        "title_en": department.name_en,
        "display_name": department.name_zh,
        "description": department.name_en or "",
        "type": "organization",
        "is_organization": True,
        "state": "active",
        "approval_status": "approved",
        "division_code": department.division_code,
        "image_url": "",
        "created": iso(department.created_at),
    }
    if count is not None:
        data["package_count"] = count
    return data


def group_dict(code: str, *, count: int | None = None) -> dict[str, Any]:
    zh, en = CATEGORIES[code]
    data: dict[str, Any] = {
        "id": code,
        "name": code,
        "title": zh,
        "title_en": en,
        "display_name": zh,
        "description": en,
        "type": "group",
        "is_organization": False,
        "state": "active",
        "image_url": "",
    }
    if count is not None:
        data["package_count"] = count
    return data


def distribution_dict(
    distribution: Distribution, version: TableVersion | None, *, base_url: str, package_id: str
) -> dict[str, Any]:
    ready = version is not None and version.status == "ready"
    dump = f"{base_url}/datastore/dump/{distribution.id}"
    return {
        "id": distribution.id,
        "package_id": package_id,
        "name": distribution.name,
        "description": distribution.description or "",
        "format": distribution.format or "",
        "mimetype": {
            "CSV": "text/csv",
            "JSON": "application/json",
            "XLSX": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }.get((distribution.format or "").upper()),
        "url": distribution.url or (f"{dump}?format=csv" if ready else ""),
        "url_type": None if distribution.url else "upload",
        "position": distribution.position,
        "state": distribution.state,
        "created": iso(distribution.created_at),
        "last_modified": iso(distribution.modified_at),
        "metadata_modified": iso(distribution.modified_at),
        "datastore_active": ready,
        "size": version.source_bytes if version is not None else None,
        "datastore_rows": version.row_count if ready and version is not None else None,
        "datastore_version": version.number if version is not None else None,
    }


def package_dict(
    session: Session, resource: Resource, *, base_url: str, department: Department | None = None
) -> dict[str, Any]:
    """The CKAN package dict of a resource, with its distributions as CKAN resources."""
    department = department or session.get(Department, resource.department_id)
    assert department is not None  # noqa: S101  (foreign key)
    distributions = [d for d in resource.distributions if d.state == "active"]
    version_ids = [d.current_version_id for d in distributions if d.current_version_id]
    versions = (
        {
            v.id: v
            for v in session.scalars(select(TableVersion).where(TableVersion.id.in_(version_ids)))
        }
        if version_ids
        else {}
    )
    license_title, license_url = LICENSES.get(resource.license_id, (resource.license_id, ""))
    values = metadata_values(resource)
    for key in ("publish_date", "temporal_start", "temporal_end"):
        values[key] = iso(values[key])
    tags = values.pop("tags")
    return {
        **values,
        "id": resource.id,
        "name": resource.name,
        "code": resource.code,
        "title": resource.title,
        "notes": resource.summary,
        "type": "dataset",
        "state": resource.state,
        "private": resource.open_class == "none",
        "owner_org": str(department.id),
        "organization": organization_dict(department),
        "author": department.name_zh,
        "maintainer": department.name_zh,
        "maintainer_email": resource.contact_email,
        "license_id": resource.license_id,
        "license_title": license_title,
        "license_url": license_url or None,
        "tags": [{"name": t, "display_name": t, "state": "active"} for t in tags],
        "num_tags": len(tags),
        "groups": [group_dict(resource.category)] if resource.category in CATEGORIES else [],
        "metadata_created": iso(resource.created_at),
        "metadata_modified": iso(resource.modified_at),
        "revision": resource.revision,
        "url": f"{base_url}/dataset/{resource.name}",
        "version": str(resource.revision),
        "spatial_name": spatial_name(resource.spatial_division),
        "open_class_label": label("open", resource.open_class),
        "share_class_label": label("share", resource.share_class),
        "language": ["zh"],
        "contact_email": resource.contact_email,
        "resources": [
            distribution_dict(
                d,
                versions.get(d.current_version_id or -1),
                base_url=base_url,
                package_id=resource.id,
            )
            for d in distributions
        ],
        "num_resources": len(distributions),
    }
