"""The catalogue's controlled vocabularies (GB/T 21063 style), with Chinese and English labels."""

from __future__ import annotations

from enum import StrEnum


class ShareClass(StrEnum):
    """共享类型: how other departments may use a resource."""

    UNCONDITIONAL = "unconditional"  # 无条件共享
    CONDITIONAL = "conditional"  # 有条件共享
    NONE = "none"  # 不予共享


class OpenClass(StrEnum):
    """开放类型: how the public may use a resource."""

    UNCONDITIONAL = "unconditional"  # 无条件开放
    CONDITIONAL = "conditional"  # 有条件开放 (signed-in users)
    NONE = "none"  # 不予开放


class CatalogType(StrEnum):
    BASIC = "basic"  # 基础信息资源目录
    THEMATIC = "thematic"  # 主题信息资源目录
    DEPARTMENTAL = "departmental"  # 部门信息资源目录


class Frequency(StrEnum):
    """更新周期."""

    REALTIME = "realtime"
    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    ANNUAL = "annual"
    IRREGULAR = "irregular"


class State(StrEnum):
    DRAFT = "draft"
    ACTIVE = "active"
    DELETED = "deleted"


LABELS: dict[str, tuple[str, str]] = {
    "share:unconditional": ("无条件共享", "shared unconditionally"),
    "share:conditional": ("有条件共享", "shared on conditions"),
    "share:none": ("不予共享", "not shared"),
    "open:unconditional": ("无条件开放", "open"),
    "open:conditional": ("有条件开放", "open on conditions"),
    "open:none": ("不予开放", "not open"),
    "catalog:basic": ("基础信息资源", "basic resource"),
    "catalog:thematic": ("主题信息资源", "thematic resource"),
    "catalog:departmental": ("部门信息资源", "departmental resource"),
    "frequency:realtime": ("实时", "real time"),
    "frequency:hourly": ("每小时", "hourly"),
    "frequency:daily": ("每日", "daily"),
    "frequency:weekly": ("每周", "weekly"),
    "frequency:monthly": ("每月", "monthly"),
    "frequency:quarterly": ("每季度", "quarterly"),
    "frequency:annual": ("每年", "annual"),
    "frequency:irregular": ("不定期", "irregular"),
}

# 资源分类 (the CKAN groups): code -> (Chinese, English)
CATEGORIES: dict[str, tuple[str, str]] = {
    "environment": ("生态环境", "Environment"),
    "transport": ("交通运输", "Transport"),
    "tourism": ("文化旅游", "Culture and tourism"),
    "market": ("市场监管", "Market regulation"),
    "credit": ("信用服务", "Credit"),
    "health": ("卫生健康", "Health"),
    "education": ("教育科技", "Education and science"),
    "agriculture": ("农业农村", "Agriculture and rural affairs"),
    "water": ("水利气象", "Water and weather"),
    "energy": ("资源能源", "Resources and energy"),
    "economy": ("经济发展", "Economy"),
    "finance": ("财税金融", "Finance and taxation"),
    "urban": ("城建住房", "Urban development and housing"),
    "society": ("社会民生", "Social affairs"),
    "safety": ("公共安全", "Public safety"),
    "government": ("机构团体", "Government and organisations"),
    "geography": ("地理空间", "Geography"),
    "ocean": ("海洋渔业", "Ocean and fisheries"),
}

# 开放许可 (license_id -> title, url)
LICENSES: dict[str, tuple[str, str]] = {
    "cc-by-4.0": ("知识共享署名 4.0 (CC BY 4.0)", "https://creativecommons.org/licenses/by/4.0/"),
    "cc-zero": ("CC0 1.0 公有领域贡献", "https://creativecommons.org/publicdomain/zero/1.0/"),
    "zj-open-data": (
        "浙江省公共数据开放授权协议",
        "https://data.zjzwfw.gov.cn/jdop_front/index.do",
    ),
    "gov-internal": ("政务内部共享，不对外授权", ""),
}


def label(kind: str, value: str | None, language: str = "zh-CN") -> str:
    """Return the label of a vocabulary value in ``language``."""
    if value is None:
        return ""
    texts = CATEGORIES.get(value) if kind == "category" else LABELS.get(f"{kind}:{value}")
    if not texts:
        return value
    return texts[0] if language.startswith("zh") else texts[1]
