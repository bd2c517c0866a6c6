"""Query parameters shared by the catalogue's search API and its search page."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Query

Values = Annotated[list[str] | None, Query()]


def search_filters(
    organization: Values = None,
    groups: Values = None,
    tags: Values = None,
    res_format: Values = None,
    city: Values = None,
    open_class: Values = None,
    share_class: Values = None,
    update_frequency: Values = None,
) -> dict[str, list[str]]:
    """The facet filters given (values of one facet are alternatives)."""
    given = {
        "organization": organization,
        "groups": groups,
        "tags": tags,
        "res_format": res_format,
        "city": city,
        "open_class": open_class,
        "share_class": share_class,
        "update_frequency": update_frequency,
    }
    return {name: values for name, values in given.items() if values}


SearchFilters = Annotated[dict[str, list[str]], Depends(search_filters)]
