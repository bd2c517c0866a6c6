"""The cases engine's controlled vocabularies and its state machine, as data.

A case moves between the states below only by the named actions of :data:`TRANSITIONS`; each
action says from which states it may be taken, where it leads, who may take it and whether a
reason is required. ``who`` names parties, not roles: the *applicant* (by number and query code,
or the signed-in user who filed), *responsible* staff (any signed-in user of the responsible
department), *step* staff (of a department holding a review task of the case), and *sysadmin*.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from yiwang.core import clock


class PowerCategory(StrEnum):
    """The ten categories of administrative power (权力清单)."""

    LICENSING = "licensing"
    PENALTY = "penalty"
    COERCION = "coercion"
    LEVY = "levy"
    BENEFIT = "benefit"
    INSPECTION = "inspection"
    CONFIRMATION = "confirmation"
    REWARD = "reward"
    ADJUDICATION = "adjudication"
    OTHER = "other"


POWER_LABELS = {
    PowerCategory.LICENSING: "行政许可",
    PowerCategory.PENALTY: "行政处罚",
    PowerCategory.COERCION: "行政强制",
    PowerCategory.LEVY: "行政征收",
    PowerCategory.BENEFIT: "行政给付",
    PowerCategory.INSPECTION: "行政检查",
    PowerCategory.CONFIRMATION: "行政确认",
    PowerCategory.REWARD: "行政奖励",
    PowerCategory.ADJUDICATION: "行政裁决",
    PowerCategory.OTHER: "其他行政权力",
}


class ItemKind(StrEnum):
    SERVICE = "service"  # 办事事项: applications
    COMPLAINT_CATEGORY = "complaint_category"  # 投诉类别: complaints and suggestions
    TASK = "task"  # 处置事项: work another engine asks a department to do (an alert's case)


class CaseKind(StrEnum):
    APPLICATION = "application"
    COMPLAINT = "complaint"
    TASK = "task"  # 处置任务: opened at another engine's request, never public


class ApplicantType(StrEnum):
    CITIZEN = "citizen"  # resident ID (GB 11643)
    ENTERPRISE = "enterprise"  # unified social credit code (GB 32100)


class Theme(StrEnum):
    """办事主题: what a service item is about, as the service hall groups items."""

    SOCIAL_SECURITY = "social_security"
    HOUSEHOLD = "household"
    MARRIAGE_BIRTH = "marriage_birth"
    EDUCATION = "education"
    EMPLOYMENT = "employment"
    QUALIFICATION = "qualification"
    HEALTH = "health"
    TRANSPORT = "transport"
    BUSINESS = "business"
    OPERATING_LICENCE = "operating_licence"
    ENVIRONMENT = "environment"
    CULTURE_TOURISM = "culture_tourism"
    CONSTRUCTION = "construction"
    AGRICULTURE = "agriculture"


THEME_LABELS: dict[Theme, tuple[str, str]] = {
    Theme.SOCIAL_SECURITY: ("社会保障", "Social security"),
    Theme.HOUSEHOLD: ("户籍办理", "Household registration and residence"),
    Theme.MARRIAGE_BIRTH: ("婚育收养", "Marriage, births and adoption"),
    Theme.EDUCATION: ("教育科研", "Education and research"),
    Theme.EMPLOYMENT: ("就业创业", "Jobs and starting out"),
    Theme.QUALIFICATION: ("职业资格", "Professional qualifications"),
    Theme.HEALTH: ("医疗卫生", "Health care"),
    Theme.TRANSPORT: ("交通出行", "Transport"),
    Theme.BUSINESS: ("设立变更", "Setting up and changing a business"),
    Theme.OPERATING_LICENCE: ("准营准办", "Operating licences"),
    Theme.ENVIRONMENT: ("生态环境", "Ecology and environment"),
    Theme.CULTURE_TOURISM: ("文化旅游", "Culture and tourism"),
    Theme.CONSTRUCTION: ("规划建设", "Planning and construction"),
    Theme.AGRICULTURE: ("农林水利", "Farming, forestry, fisheries and water"),
}


class LifeEvent(StrEnum):
    """人生事件 of a citizen and 生命周期 events of an enterprise: the moments of life for which
    people look for services, as the service hall groups items."""

    BIRTH = "birth"
    SCHOOLING = "schooling"
    EMPLOYMENT = "employment"
    STARTING_OUT = "starting_out"
    MARRIAGE = "marriage"
    CHILDBIRTH = "childbirth"
    HOME = "home"
    RELOCATION = "relocation"
    RETIREMENT = "retirement"
    DEATH = "death"
    SETUP = "setup"
    PERMITS = "permits"
    PROJECTS = "projects"
    OPERATIONS = "operations"
    CHANGE = "change"
    CLOSURE = "closure"


# Each life event: (Chinese, English, whose life it is).
LIFE_EVENT_LABELS: dict[LifeEvent, tuple[str, str, ApplicantType]] = {
    LifeEvent.BIRTH: ("出生", "Birth", ApplicantType.CITIZEN),
    LifeEvent.SCHOOLING: ("上学", "Going to school", ApplicantType.CITIZEN),
    LifeEvent.EMPLOYMENT: ("就业", "Working", ApplicantType.CITIZEN),
    LifeEvent.STARTING_OUT: ("创业", "Starting a business", ApplicantType.CITIZEN),
    LifeEvent.MARRIAGE: ("结婚", "Marriage", ApplicantType.CITIZEN),
    LifeEvent.CHILDBIRTH: ("生育", "Having a child", ApplicantType.CITIZEN),
    LifeEvent.HOME: ("购房", "Buying a home", ApplicantType.CITIZEN),
    LifeEvent.RELOCATION: ("迁居", "Moving to a new city", ApplicantType.CITIZEN),
    LifeEvent.RETIREMENT: ("退休", "Retirement", ApplicantType.CITIZEN),
    LifeEvent.DEATH: ("身后", "After a death", ApplicantType.CITIZEN),
    LifeEvent.SETUP: ("开办企业", "Opening a business", ApplicantType.ENTERPRISE),
    LifeEvent.PERMITS: ("经营许可", "Operating permits", ApplicantType.ENTERPRISE),
    LifeEvent.PROJECTS: ("投资建设", "Building projects", ApplicantType.ENTERPRISE),
    LifeEvent.OPERATIONS: ("生产经营", "Running the business", ApplicantType.ENTERPRISE),
    LifeEvent.CHANGE: ("变更", "Changes", ApplicantType.ENTERPRISE),
    LifeEvent.CLOSURE: ("注销", "Closing down", ApplicantType.ENTERPRISE),
}


class State(StrEnum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    IN_REVIEW = "in_review"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    DECIDED = "decided"
    DELIVERED = "delivered"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"


STATE_LABELS = {
    State.SUBMITTED: ("已提交", "submitted"),
    State.ACCEPTED: ("已受理", "accepted"),
    State.REJECTED: ("不予受理", "rejected"),
    State.IN_REVIEW: ("审查中", "in review"),
    State.SUPPLEMENT_REQUESTED: ("待补正", "supplement requested"),
    State.DECIDED: ("已办结", "decided"),
    State.DELIVERED: ("已送达", "delivered"),
    State.CLOSED: ("已归档", "closed"),
    State.WITHDRAWN: ("已撤回", "withdrawn"),
}

FINAL_STATES = frozenset({State.REJECTED, State.CLOSED, State.WITHDRAWN})
# States in which the case has been finished (办结): the clock no longer runs.
FINISHED_STATES = frozenset(
    {State.REJECTED, State.DECIDED, State.DELIVERED, State.CLOSED, State.WITHDRAWN}
)

APPLICATION_DECISIONS = ("approved", "denied")
COMPLAINT_DECISIONS = ("resolved", "unsubstantiated")  # complaints and tasks
DELIVERY_METHODS = ("courier", "pickup", "online")

APPLICANT, RESPONSIBLE, STEP, SYSADMIN = "applicant", "responsible", "step", "sysadmin"

# Words for the values above, as pages and documents show them: (Chinese, English).
KIND_LABELS = {
    "application": ("申请", "Application"),
    "complaint": ("投诉建议", "Complaint"),
    "task": ("处置任务", "Task"),
}
DECISION_LABELS = {
    "approved": ("准予许可", "Approved"),
    "denied": ("不予许可", "Denied"),
    "resolved": ("已办理", "Resolved"),
    "unsubstantiated": ("经核查不属实", "Not substantiated"),
}
DELIVERY_LABELS = {
    "courier": ("快递送达", "By courier"),
    "pickup": ("窗口领取", "Pick up at the counter"),
    "online": ("网上送达（电子证照）", "Online (electronic licence)"),
}
PARTY_LABELS = {
    APPLICANT: ("申请人", "Applicant"),
    RESPONSIBLE: ("承办部门", "Responsible department"),
    STEP: ("协办部门", "Reviewing department"),
    SYSADMIN: ("系统管理员", "System administrator"),
    "system": ("系统", "System"),
}
CARD_LABELS = {"yellow": ("黄牌", "Yellow card"), "red": ("红牌", "Red card")}
OPINION_LABELS = {"agree": ("同意", "Agree"), "disagree": ("不同意", "Disagree")}


@dataclass(frozen=True, slots=True)
class Transition:
    action: str
    sources: frozenset[State]
    target: State | None  # None: back to the state the case was in before the pause
    who: frozenset[str]
    reason_required: bool = False
    event: str | None = None  # the domain event published, e.g. "case.accepted"


def _t(
    action: str,
    sources: set[State],
    target: State | None,
    who: set[str],
    *,
    reason: bool = False,
    event: str | None = None,
) -> Transition:
    return Transition(action, frozenset(sources), target, frozenset(who), reason, event)


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        _t("accept", {State.SUBMITTED}, State.ACCEPTED, {RESPONSIBLE, SYSADMIN}, event="accepted"),
        _t(
            "reject",
            {State.SUBMITTED},
            State.REJECTED,
            {RESPONSIBLE, SYSADMIN},
            reason=True,
            event="rejected",
        ),
        _t(
            "start_review",
            {State.ACCEPTED},
            State.IN_REVIEW,
            {RESPONSIBLE, SYSADMIN},
            event="in_review",
        ),
        _t(
            "request_supplement",
            {State.SUBMITTED, State.ACCEPTED, State.IN_REVIEW},
            State.SUPPLEMENT_REQUESTED,
            {RESPONSIBLE, STEP, SYSADMIN},
            reason=True,
            event="supplement_requested",
        ),
        _t(
            "supplement",
            {State.SUPPLEMENT_REQUESTED},
            None,
            {APPLICANT},
            event="supplemented",
        ),
        _t("decide", {State.IN_REVIEW}, State.DECIDED, {RESPONSIBLE, SYSADMIN}, event="decided"),
        _t("deliver", {State.DECIDED}, State.DELIVERED, {RESPONSIBLE, SYSADMIN}, event="delivered"),
        _t(
            "close",
            {State.DECIDED, State.DELIVERED},
            State.CLOSED,
            {RESPONSIBLE, SYSADMIN},
            event="closed",
        ),
        _t(
            "withdraw",
            {State.SUBMITTED, State.ACCEPTED, State.SUPPLEMENT_REQUESTED},
            State.WITHDRAWN,
            {APPLICANT},
            reason=True,
            event="withdrawn",
        ),
    )
}


def allowed_actions(state: str) -> list[str]:
    """The actions that may be taken from ``state`` (by someone)."""
    return [t.action for t in TRANSITIONS.values() if state in t.sources]


# Material types sniffed from content (see yiwang.cases.materials).
FILE_TYPES = ("pdf", "jpeg", "png", "ofd", "docx", "xlsx", "zip")

# China Standard Time: dates of cases (filed on, due on) are local dates. China keeps no DST.
CST = clock.CHINA
local_date = clock.local_date
