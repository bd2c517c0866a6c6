"""What the cases engine offers the portal and the command line: they import this module (or
the package), never the engine's models, service modules or internals, so that what they may
rely on is written in one place and the engine can rearrange the rest.

Other engines do not import it either: they reach cases through the messages and ports of
:mod:`yiwang.core.contracts` (asking for a case, filing checks, material providers, the
case-item directory, hearing of decisions), as the package's docstring says.

Everything here is the engine's own service, the same call its JSON API makes: each takes the
acting :class:`~yiwang.core.policy.Actor` where the policy must decide, and runs the queries
itself, so pages and handlers never run SQL.

Filing (:mod:`yiwang.cases.filing`)
    ``submit_application`` (an application for a service item, with its ``Upload`` s kept
    under a ``Storage``) and ``file_complaint`` (a complaint against a complaint category)
    give a ``Filed``; ``code_secret`` is the key that lets a repeated submission show its
    query code again. What is filed is described by ``ApplicationCreate``,
    ``ComplaintCreate`` and ``ContactIn``.
    ``delivery_provinces``, ``delivery_cities`` and ``delivery_districts`` are the divisions a
    courier address may name. The files of a refused application are checked
    (``check_upload``), kept for the retry under a token (``new_staging_token``, ``stage``,
    ``staged_files`` giving ``StagedFile`` s) and dropped when the case is filed
    (``discard_staged_at_commit``).

Finding cases (:mod:`yiwang.cases.access`, :mod:`yiwang.cases.queries`)
    ``get_case`` (a case the actor may see, by number and query code), ``list_cases`` (with
    ``CaseFilters``; newest first or by urgency), ``count_cases`` (how many it would give),
    ``handles`` (whether the actor handles the case, and so sees it
    unmasked), ``step_departments`` (the departments reviewing it), ``item_of`` (its item and
    the item's version it was filed under) and ``materials_of`` (its materials, each found
    on disk by ``material_path``).

Moving cases on (:mod:`yiwang.cases.workflow`)
    ``transition`` (an action of the state machine, described by ``TransitionIn``; a decision
    may carry the upload ``DECISION_DOCUMENT``, shown as ``DECISION_DOCUMENT_LABEL``),
    ``complete_task`` (a review task's opinion, ``TaskDone``) and ``rate`` (the applicant's
    好差评, ``RatingIn``).

Service items (:mod:`yiwang.cases.items`)
    ``list_items`` (items with their current versions), ``search_items`` (those found by
    the words of a query in their names, search words 检索词 or description), ``get_item``
    and ``current_version``.

Showing cases and items (:mod:`yiwang.cases.views`)
    ``item_dict``, ``case_dict``, ``filed_case_dict`` and ``case_summary``: the dicts the
    JSON API answers with, masked unless the reader handles the case.

Deadlines and supervision
    ``work_calendar`` and ``workdays_left`` (working days, with the official holidays);
    ``supervision_view`` (yellow and red cards by department and item),
    ``scan_supervision`` (issue the cards due now), ``schedule_supervision`` and
    ``schedule_publication`` (queue the periodic scan and the monthly statistics), and
    ``RECOUNT_JOB`` (the kind of the job that counts deadlines again after a holiday schedule
    is imported).

Complaint categories as Open311 lists them
    ``get_open311`` (the GeoReport layer serving the app: its complaint desk and
    jurisdictions) and ``ComplaintCategory`` (one category, as a service of its list).

Vocabularies and labels (:mod:`yiwang.cases.vocab`)
    ``State``, ``FINAL_STATES``, ``TRANSITIONS`` and ``allowed_actions`` (the state
    machine), ``ApplicantType``, ``ItemKind``, ``local_date`` (the local day of a time), and
    the Chinese labels ``ACTION_LABELS``, ``CARD_LABELS``, ``DECISION_LABELS``,
    ``DELIVERY_LABELS``, ``FILE_TYPE_LABELS``, ``KIND_LABELS``, ``LIFE_EVENT_LABELS``,
    ``OPINION_LABELS``, ``PARTY_LABELS``, ``STATE_LABELS`` and ``THEME_LABELS``.

Types, for annotations only
    ``Case``, ``ServiceItem`` and ``ItemVersion`` are what the services above return; read
    their attributes, never query them.
"""

from __future__ import annotations

from yiwang.cases.access import get_case, handles, step_departments
from yiwang.cases.deadlines import work_calendar, workdays_left
from yiwang.cases.filing import (
    Filed,
    Storage,
    code_secret,
    delivery_cities,
    delivery_districts,
    delivery_provinces,
    file_complaint,
    submit_application,
)
from yiwang.cases.items import current_version, get_item, list_items, search_items
from yiwang.cases.materials import TYPE_LABELS as FILE_TYPE_LABELS
from yiwang.cases.materials import (
    StagedFile,
    Upload,
    discard_staged_at_commit,
    new_staging_token,
    stage,
    staged_files,
)
from yiwang.cases.materials import (
    check as check_upload,
)
from yiwang.cases.materials import path_of as material_path
from yiwang.cases.messages import ACTION_LABELS
from yiwang.cases.models import Case, ItemVersion, ServiceItem
from yiwang.cases.open311 import Category as ComplaintCategory
from yiwang.cases.open311.api import get_open311
from yiwang.cases.queries import CaseFilters, count_cases, item_of, list_cases, materials_of
from yiwang.cases.schemas import (
    ApplicationCreate,
    ComplaintCreate,
    ContactIn,
    RatingIn,
    TaskDone,
    TransitionIn,
)
from yiwang.cases.supervision import scan as scan_supervision
from yiwang.cases.supervision import supervision_view
from yiwang.cases.tasks import RECOUNT as RECOUNT_JOB
from yiwang.cases.tasks import schedule_publication, schedule_supervision
from yiwang.cases.views import case_dict, case_summary, filed_case_dict, item_dict
from yiwang.cases.vocab import (
    CARD_LABELS,
    DECISION_LABELS,
    DELIVERY_LABELS,
    FINAL_STATES,
    KIND_LABELS,
    LIFE_EVENT_LABELS,
    OPINION_LABELS,
    PARTY_LABELS,
    STATE_LABELS,
    THEME_LABELS,
    TRANSITIONS,
    ApplicantType,
    ItemKind,
    State,
    allowed_actions,
    local_date,
)
from yiwang.cases.workflow import (
    DECISION_DOCUMENT,
    DECISION_DOCUMENT_LABEL,
    complete_task,
    rate,
    transition,
)

__all__ = [
    "ACTION_LABELS",
    "CARD_LABELS",
    "DECISION_DOCUMENT",
    "DECISION_DOCUMENT_LABEL",
    "DECISION_LABELS",
    "DELIVERY_LABELS",
    "FILE_TYPE_LABELS",
    "FINAL_STATES",
    "KIND_LABELS",
    "LIFE_EVENT_LABELS",
    "OPINION_LABELS",
    "PARTY_LABELS",
    "RECOUNT_JOB",
    "STATE_LABELS",
    "THEME_LABELS",
    "TRANSITIONS",
    "ApplicantType",
    "ApplicationCreate",
    "Case",
    "CaseFilters",
    "ComplaintCategory",
    "ComplaintCreate",
    "ContactIn",
    "Filed",
    "ItemKind",
    "ItemVersion",
    "RatingIn",
    "ServiceItem",
    "StagedFile",
    "State",
    "Storage",
    "TaskDone",
    "TransitionIn",
    "Upload",
    "allowed_actions",
    "case_dict",
    "case_summary",
    "check_upload",
    "code_secret",
    "complete_task",
    "count_cases",
    "current_version",
    "delivery_cities",
    "delivery_districts",
    "delivery_provinces",
    "discard_staged_at_commit",
    "file_complaint",
    "filed_case_dict",
    "get_case",
    "get_item",
    "get_open311",
    "handles",
    "item_dict",
    "item_of",
    "list_cases",
    "list_items",
    "local_date",
    "material_path",
    "materials_of",
    "new_staging_token",
    "rate",
    "scan_supervision",
    "schedule_publication",
    "schedule_supervision",
    "search_items",
    "stage",
    "staged_files",
    "step_departments",
    "submit_application",
    "supervision_view",
    "transition",
    "work_calendar",
    "workdays_left",
]
