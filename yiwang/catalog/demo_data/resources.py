"""The resources of the catalog's demo: their metadata as department editors would fill it in,
their columns, and the function that makes each one's rows."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from yiwang.catalog.demo_data import environment, market, services
from yiwang.catalog.demo_data.common import YEAR, Row
from yiwang.catalog.schemas import PersonalKindName
from yiwang.catalog.vocab import CatalogType, Frequency, OpenClass, ShareClass

CkanType = Literal["int", "numeric", "bool", "date", "timestamp", "text"]


@dataclass(frozen=True)
class Column:
    """A column of a demo table, in the terms of CKAN's ``datastore_create``."""

    name: str
    type: CkanType = "text"
    personal: PersonalKindName | None = None
    description: str | None = None


@dataclass(frozen=True)
class DemoResource:
    """A resource of the demo, its one table and how to make the table's rows."""

    department: str  # the slug of the providing department
    title: str
    title_en: str
    summary: str
    category: str
    columns: tuple[Column, ...]
    rows: Callable[[random.Random], list[Row]]
    table: str  # the name of the distribution
    update_frequency: Frequency
    spatial_division: str
    temporal: tuple[dt.date, dt.date]
    tags: tuple[str, ...] = ()
    catalog_type: CatalogType = CatalogType.DEPARTMENTAL
    share_class: ShareClass = ShareClass.UNCONDITIONAL
    share_conditions: str | None = None
    open_class: OpenClass = OpenClass.UNCONDITIONAL
    open_conditions: str | None = None
    license_id: str = "zj-open-data"
    format: str = "CSV"
    related: tuple[str, ...] = ()  # titles of demo resources listed before this one


def _c(
    name: str,
    type_: CkanType = "text",
    personal: PersonalKindName | None = None,
    doc: str | None = None,
) -> Column:
    return Column(name, type_, personal, doc)


_THE_YEAR = (dt.date(YEAR, 1, 1), dt.date(YEAR, 12, 31))
_PERSONAL_DATA = (
    "含自然人姓名、身份证号码、手机号码、住址等个人信息，"
    "依据《中华人民共和国个人信息保护法》不予开放。"
)

_ENTERPRISES = DemoResource(
    department="zjmarket",
    title="浙江省企业登记信息",
    title_en="Business register of Zhejiang",
    summary=(
        "全省市场主体登记的企业基本信息，包括企业名称、统一社会信用代码、法定代表人、企业类型、"
        "注册资本、成立日期、登记机关、住所、所属行业和经营状态，是法人单位基础信息库的组成部分。"
    ),
    category="market",
    catalog_type=CatalogType.BASIC,
    columns=(
        _c("企业名称"),
        _c("统一社会信用代码", doc="GB 32100-2015"),
        _c("法定代表人", personal="name"),
        _c("企业类型"),
        _c("注册资本(万元)", "numeric"),
        _c("成立日期", "date"),
        _c("登记机关"),
        _c("住所"),
        _c("所属行业", doc="GB/T 4754-2017 门类或大类"),
        _c("经营状态"),
    ),
    rows=market.business_register,
    table="企业登记信息表",
    update_frequency=Frequency.DAILY,
    spatial_division="330000",
    temporal=(dt.date(1998, 1, 1), dt.date(YEAR, 10, 31)),
    tags=("企业", "市场主体", "统一社会信用代码", "法人库"),
    share_class=ShareClass.CONDITIONAL,
    share_conditions=(
        "用于行政审批、监管执法和信用评价，申请时须说明用途和所需信息项，"
        "经省市场监管局审核同意后使用。"
    ),
    open_class=OpenClass.CONDITIONAL,
    open_conditions="注册并实名认证后可下载，不得用于商业营销或转售；法定代表人姓名脱敏后提供。",
)

DEMO_RESOURCES: tuple[DemoResource, ...] = (
    _ENTERPRISES,
    DemoResource(
        department="zjtourism",
        title="浙江省A级旅游景区名录",
        title_en="A-grade tourist attractions of Zhejiang",
        summary=(
            "全省5A、4A和部分3A级旅游景区的名称、等级、所在城市和区县、地址、"
            "最大承载量（瞬时）和开放时间，供游客出行和景区客流管理参考。"
        ),
        category="tourism",
        columns=(
            _c("景区名称"),
            _c("等级", doc="GB/T 17775-2003 旅游景区质量等级"),
            _c("城市"),
            _c("区县"),
            _c("地址"),
            _c("最大承载量(人)", "int", doc="LB/T 034-2014 瞬时最大承载量"),
            _c("开放时间"),
        ),
        rows=services.scenic_spots,
        table="A级旅游景区名录",
        update_frequency=Frequency.QUARTERLY,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 9, 30)),
        tags=("旅游", "景区", "5A景区", "诗画浙江"),
        license_id="cc-by-4.0",
    ),
    DemoResource(
        department="hzdata",
        title="杭州市空气质量小时数据",
        title_en="Hourly air quality of Hangzhou",
        summary=(
            "杭州市国控空气质量监测站点的小时监测数据：PM2.5、PM10、O3、NO2、SO2、CO浓度，"
            "以及按HJ 633-2012计算的实时空气质量指数（AQI）、空气质量类别和首要污染物。"
            "PM2.5和PM10的分指数按24小时滑动平均浓度计算。"
        ),
        category="environment",
        catalog_type=CatalogType.THEMATIC,
        columns=(
            _c("站点"),
            _c("区县"),
            _c("监测时间", "timestamp", doc="北京时间"),
            _c("AQI", "int"),
            _c("等级"),
            _c("首要污染物", doc="AQI不大于50时为空"),
            _c("PM2.5", "numeric", doc="1小时平均浓度，μg/m³"),
            _c("PM2.5(24小时滑动平均)", "numeric", doc="μg/m³"),
            _c("PM10", "numeric", doc="1小时平均浓度，μg/m³"),
            _c("PM10(24小时滑动平均)", "numeric", doc="μg/m³"),
            _c("O3", "numeric", doc="1小时平均浓度，μg/m³"),
            _c("NO2", "numeric", doc="1小时平均浓度，μg/m³"),
            _c("SO2", "numeric", doc="1小时平均浓度，μg/m³"),
            _c("CO", "numeric", doc="1小时平均浓度，mg/m³"),
        ),
        rows=environment.air_quality,
        table=f"{YEAR}年11月17日至18日小时数据",
        update_frequency=Frequency.HOURLY,
        spatial_division="330100",
        temporal=(dt.date(YEAR, 11, 17), dt.date(YEAR, 11, 18)),
        tags=("空气质量", "AQI", "PM2.5", "环境监测"),
        license_id="cc-by-4.0",
        format="JSON",
    ),
    DemoResource(
        department="zjenv",
        title="浙江省地表水水质月报",
        title_en="Monthly surface water quality of Zhejiang",
        summary=(
            "省控地表水监测断面的月度监测结果：溶解氧、高锰酸盐指数、氨氮、总磷，"
            "按GB 3838-2002单因子评价法确定的水质类别，以及是否达到水功能区目标。"
        ),
        category="environment",
        columns=(
            _c("断面名称"),
            _c("河流"),
            _c("城市"),
            _c("月份", "date", doc="当月1日"),
            _c("水质类别", doc="GB 3838-2002"),
            _c("溶解氧", "numeric", doc="mg/L"),
            _c("高锰酸盐指数", "numeric", doc="mg/L"),
            _c("氨氮", "numeric", doc="mg/L"),
            _c("总磷", "numeric", doc="mg/L"),
            _c("水质目标"),
            _c("是否达标", "bool"),
        ),
        rows=environment.surface_water,
        table=f"{YEAR}年地表水水质月报",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330000",
        temporal=_THE_YEAR,
        tags=("水质", "地表水", "五水共治", "环境监测"),
        license_id="cc-by-4.0",
    ),
    DemoResource(
        department="zjmarket",
        title="行政许可双公示",
        title_en="Administrative licences (dual disclosure)",
        summary=(
            "省市场监督管理局作出的行政许可决定，按“双公示”要求公开：行政相对人、统一社会信用代码、"
            "法定代表人、许可类别、决定书文号、证书编号、许可内容和有效期。"
            "公开时法定代表人姓名脱敏。"
        ),
        category="credit",
        columns=(
            _c("行政相对人名称"),
            _c("统一社会信用代码"),
            _c("法定代表人", personal="name"),
            _c("许可类别"),
            _c("许可决定书文号"),
            _c("许可证书编号"),
            _c("许可内容"),
            _c("许可决定日期", "date"),
            _c("有效期至", "date"),
            _c("许可机关"),
        ),
        rows=market.admin_licences,
        table=f"{YEAR}年行政许可决定",
        update_frequency=Frequency.DAILY,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 11, 14)),
        tags=("双公示", "行政许可", "信用浙江"),
        related=(_ENTERPRISES.title,),
    ),
    DemoResource(
        department="tzmarket",
        title="台州市行政处罚双公示",
        title_en="Administrative penalties of Taizhou (dual disclosure)",
        summary=(
            "台州市市场监管部门作出的行政处罚决定，按“双公示”要求公开：行政相对人、"
            "统一社会信用代码、法定代表人（经营者）、决定书文号、违法行为类型、处罚依据、"
            "处罚内容和罚没款金额。"
        ),
        category="credit",
        columns=(
            _c("行政相对人名称"),
            _c("统一社会信用代码"),
            _c("法定代表人", personal="name", doc="个体工商户为经营者"),
            _c("处罚决定书文号"),
            _c("违法行为类型"),
            _c("处罚依据"),
            _c("处罚内容"),
            _c("罚没款金额(元)", "numeric"),
            _c("处罚决定日期", "date"),
            _c("处罚机关"),
        ),
        rows=market.admin_penalties,
        table=f"{YEAR}年行政处罚决定",
        update_frequency=Frequency.WEEKLY,
        spatial_division="331000",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 11, 14)),
        tags=("双公示", "行政处罚", "信用浙江"),
        related=(_ENTERPRISES.title,),
    ),
    DemoResource(
        department="hzdata",
        title="杭州市公共自行车站点",
        title_en="Public bicycle stations of Hangzhou",
        summary=(
            "杭州市主城区公共自行车服务点的编号、名称、所在区、经纬度（WGS 84）、"
            "桩位数和是否24小时服务。"
        ),
        category="transport",
        columns=(
            _c("站点编号"),
            _c("站点名称"),
            _c("所在区"),
            _c("经度", "numeric", doc="WGS 84"),
            _c("纬度", "numeric", doc="WGS 84"),
            _c("桩位数", "int"),
            _c("24小时服务", "bool"),
        ),
        rows=services.bike_stations,
        table="公共自行车站点",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330100",
        temporal=(dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 31)),
        tags=("公共自行车", "绿色出行", "地理位置"),
        license_id="cc-zero",
    ),
    DemoResource(
        department="zjhealth",
        title="浙江省医疗机构名录",
        title_en="Medical institutions of Zhejiang",
        summary=(
            "全省三级医院和各县（市）人民医院、中医院的名称、类别、等级、所在城市和区县、"
            "地址及联系电话。"
        ),
        category="health",
        columns=(
            _c("机构名称"),
            _c("类别"),
            _c("等级"),
            _c("城市"),
            _c("区县"),
            _c("地址"),
            _c("联系电话"),
        ),
        rows=services.medical_institutions,
        table="医疗机构名录",
        update_frequency=Frequency.QUARTERLY,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 9, 30)),
        tags=("医疗机构", "医院", "卫生健康"),
    ),
    DemoResource(
        department="zjagri",
        title="农产品质量安全监督抽检结果",
        title_en="Agricultural product quality inspections",
        summary=(
            "全省农产品质量安全例行监测和监督抽检结果：样品、受检单位、抽样地点、检测项目、检测值、"
            "限量值（GB 2763、GB 31650）和判定结果。检测值为空表示未检出。"
        ),
        category="agriculture",
        columns=(
            _c("样品编号"),
            _c("样品名称"),
            _c("产品类别"),
            _c("受检单位"),
            _c("抽样地点"),
            _c("检测项目"),
            _c("检测值(mg/kg)", "numeric", doc="空为未检出"),
            _c("限量值(mg/kg)"),
            _c("判定结果"),
            _c("抽检日期", "date"),
        ),
        rows=market.farm_checks,
        table=f"{YEAR}年第三季度抽检结果",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 9, 1), dt.date(YEAR, 10, 31)),
        tags=("农产品", "食品安全", "抽检", "农药残留"),
    ),
    DemoResource(
        department="zjtransport",
        title="高速公路路段实时车速",
        title_en="Real-time expressway speeds",
        summary=(
            "全省主要高速公路路段分方向的平均车速、交通拥堵指数（0–10）和路况，每5分钟更新；"
            "此处为早高峰一小时的数据。"
        ),
        category="transport",
        columns=(
            _c("路段"),
            _c("方向"),
            _c("采集时间", "timestamp", doc="北京时间"),
            _c("平均车速(km/h)", "numeric"),
            _c("拥堵指数", "numeric", doc="0–10"),
            _c("路况"),
        ),
        rows=services.expressway_speeds,
        table=f"{YEAR}年11月18日早高峰",
        update_frequency=Frequency.REALTIME,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 11, 18), dt.date(YEAR, 11, 18)),
        tags=("高速公路", "路况", "拥堵指数", "实时"),
        format="JSON",
    ),
    DemoResource(
        department="zjwater",
        title="主要江河水位监测",
        title_en="River water levels",
        summary=(
            "全省主要江河水文站的逐时水位和警戒水位、保证水位（1985国家高程基准），"
            "此处为梅汛期一日的数据。"
        ),
        category="water",
        columns=(
            _c("站点名称"),
            _c("河流"),
            _c("城市"),
            _c("观测时间", "timestamp", doc="北京时间"),
            _c("水位(m)", "numeric"),
            _c("警戒水位(m)", "numeric"),
            _c("保证水位(m)", "numeric"),
            _c("超警戒", "bool"),
        ),
        rows=environment.river_levels,
        table=f"{YEAR}年6月20日逐时水位",
        update_frequency=Frequency.HOURLY,
        spatial_division="330000",
        temporal=(dt.date(YEAR, 6, 20), dt.date(YEAR, 6, 20)),
        tags=("水位", "防汛", "水文"),
        license_id="cc-by-4.0",
        format="JSON",
    ),
    DemoResource(
        department="zjdata",
        title="重点用能单位能耗情况",
        title_en="Energy use of key energy-consuming enterprises",
        summary=(
            "年综合能耗5000吨标准煤以上的重点用能单位的年综合能耗和能耗限额，"
            "以及是否超出限额，用于能耗双控和节能监察。"
        ),
        category="energy",
        columns=(
            _c("单位名称"),
            _c("统一社会信用代码"),
            _c("所属行业"),
            _c("城市"),
            _c("区县"),
            _c("统计年度", "int"),
            _c("年综合能耗(吨标准煤)", "numeric"),
            _c("能耗限额(吨标准煤)", "numeric"),
            _c("是否超限额", "bool"),
        ),
        rows=market.energy_users,
        table=f"{YEAR - 1}年度重点用能单位能耗",
        update_frequency=Frequency.ANNUAL,
        spatial_division="330000",
        temporal=(dt.date(YEAR - 1, 1, 1), dt.date(YEAR - 1, 12, 31)),
        tags=("能耗", "节能", "双控"),
        open_class=OpenClass.CONDITIONAL,
        open_conditions="注册用户登录后可查询下载，用于研究和节能服务。",
        related=(_ENTERPRISES.title,),
    ),
    DemoResource(
        department="lsenv",
        title="丽水市生态补偿资金发放名单",
        title_en="Ecological compensation payments of Lishui",
        summary=(
            "丽水市公益林生态补偿和天然林停伐管护补助资金的发放名单：补偿对象姓名、身份证号码、"
            "手机号码、住址、补偿类型、面积、标准和金额。"
        ),
        category="environment",
        catalog_type=CatalogType.THEMATIC,
        columns=(
            _c("姓名", personal="name"),
            _c("身份证号码", personal="resident_id"),
            _c("手机号码", personal="mobile"),
            _c("住址", personal="address"),
            _c("区县"),
            _c("乡镇"),
            _c("补偿类型"),
            _c("补偿面积(亩)", "numeric"),
            _c("补偿标准(元/亩)", "numeric"),
            _c("发放金额(元)", "numeric"),
            _c("发放日期", "date"),
        ),
        rows=environment.eco_compensation,
        table=f"{YEAR}年7月发放批次",
        update_frequency=Frequency.ANNUAL,
        spatial_division="331100",
        temporal=(dt.date(YEAR, 7, 10), dt.date(YEAR, 7, 31)),
        tags=("生态补偿", "公益林", "绿水青山"),
        share_class=ShareClass.CONDITIONAL,
        share_conditions=(
            "仅向财政、审计、林业和民政部门提供，用于补偿资金核查和审计；"
            "申请须说明用途和所需信息项，经丽水市生态环境局审核同意。"
        ),
        open_class=OpenClass.NONE,
        open_conditions=_PERSONAL_DATA,
        license_id="gov-internal",
    ),
    DemoResource(
        department="lsenv",
        title="丽水市空气负氧离子监测数据",
        title_en="Negative air ions in Lishui",
        summary=(
            "丽水市各县（市、区）空气负氧离子自动监测站的逐日浓度（日均、日最高、日最低）"
            "和相对湿度，反映森林和山区的空气清新程度。"
        ),
        category="environment",
        columns=(
            _c("监测站点"),
            _c("区县"),
            _c("日期", "date"),
            _c("日均浓度(个/cm³)", "int"),
            _c("日最高(个/cm³)", "int"),
            _c("日最低(个/cm³)", "int"),
            _c("相对湿度(%)", "numeric"),
        ),
        rows=environment.negative_ions,
        table=f"{YEAR}年10月逐日数据",
        update_frequency=Frequency.DAILY,
        spatial_division="331100",
        temporal=(dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 30)),
        tags=("负氧离子", "空气清新", "绿水青山", "环境监测"),
        license_id="cc-by-4.0",
    ),
    DemoResource(
        department="nbdata",
        title="鄞州区最低生活保障对象名册",
        title_en="Minimum living allowance recipients of Yinzhou District",
        summary=(
            "宁波市鄞州区城乡最低生活保障家庭名册（由区民政局提供，市大数据局归集）："
            "申请人、身份证号码、联系电话、户籍地址、保障类别、保障人数、月保障金和复核日期。"
        ),
        category="society",
        catalog_type=CatalogType.THEMATIC,
        columns=(
            _c("姓名", personal="name"),
            _c("身份证号码", personal="resident_id"),
            _c("联系电话", personal="mobile"),
            _c("户籍地址", personal="address"),
            _c("街道（乡镇）"),
            _c("保障类别"),
            _c("保障人数", "int"),
            _c("月保障金(元)", "numeric"),
            _c("纳入日期", "date"),
            _c("最近复核日期", "date"),
        ),
        rows=services.low_income,
        table=f"{YEAR}年11月名册",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330212",
        temporal=(dt.date(YEAR, 11, 1), dt.date(YEAR, 11, 30)),
        tags=("社会救助", "低保", "民生"),
        share_class=ShareClass.NONE,
        share_conditions=(
            "依据《社会救助暂行办法》第六十六条和《中华人民共和国个人信息保护法》，"
            "低保对象的家庭经济状况和个人信息仅供民政部门救助审核使用，不予共享；"
            "其他部门核验身份请使用“社会救助对象核验”接口。"
        ),
        open_class=OpenClass.NONE,
        open_conditions=(
            "含个人身份信息和家庭经济状况等敏感个人信息，依据《中华人民共和国个人信息保护法》"
            "第二十八条不予开放；公示名单由街道（乡镇）按规定张榜公布。"
        ),
        license_id="gov-internal",
    ),
    DemoResource(
        department="zsocean",
        title="舟山港口货物吞吐量",
        title_en="Cargo throughput of the ports of Zhoushan",
        summary="舟山各港区的月度货物吞吐量、外贸货物吞吐量、集装箱吞吐量和同比增长。",
        category="ocean",
        columns=(
            _c("港区"),
            _c("统计月份", "date", doc="当月1日"),
            _c("货物吞吐量(万吨)", "numeric"),
            _c("其中外贸(万吨)", "numeric"),
            _c("集装箱吞吐量(万标箱)", "numeric"),
            _c("同比增长(%)", "numeric"),
        ),
        rows=services.port_throughput,
        table=f"{YEAR - 1}—{YEAR}年月度吞吐量",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330900",
        temporal=(dt.date(YEAR - 1, 1, 1), dt.date(YEAR, 12, 31)),
        tags=("港口", "吞吐量", "宁波舟山港", "海洋经济"),
        license_id="cc-by-4.0",
    ),
    DemoResource(
        department="jxmarket",
        title="嘉兴市食品经营许可信息",
        title_en="Food business licences of Jiaxing",
        summary=(
            "嘉兴市各县（市、区）核发的食品经营许可证：经营者、统一社会信用代码、负责人、经营场所、"
            "主体业态、经营项目和有效期。"
        ),
        category="market",
        columns=(
            _c("经营者名称"),
            _c("统一社会信用代码"),
            _c("法定代表人（负责人）", personal="name"),
            _c("经营场所"),
            _c("主体业态"),
            _c("经营项目"),
            _c("许可证编号"),
            _c("发证日期", "date"),
            _c("有效期至", "date"),
            _c("发证机关"),
        ),
        rows=market.food_licences,
        table="有效食品经营许可证",
        update_frequency=Frequency.DAILY,
        spatial_division="330400",
        temporal=(dt.date(YEAR - 4, 1, 1), dt.date(YEAR, 11, 14)),
        tags=("食品安全", "食品经营许可", "许可证"),
        related=(_ENTERPRISES.title,),
    ),
    DemoResource(
        department="hutourism",
        title="湖州市乡村旅游点",
        title_en="Rural tourism spots of Huzhou",
        summary=(
            "湖州市A级景区村庄、休闲农业园区和精品民宿集聚区的名称、类型、等级、所在区县和乡镇、"
            "床位数、餐位数、联系电话和位置。"
        ),
        category="tourism",
        catalog_type=CatalogType.THEMATIC,
        columns=(
            _c("名称"),
            _c("类型"),
            _c("等级"),
            _c("区县"),
            _c("乡镇"),
            _c("床位数", "int"),
            _c("餐位数", "int"),
            _c("联系电话"),
            _c("经度", "numeric", doc="WGS 84"),
            _c("纬度", "numeric", doc="WGS 84"),
        ),
        rows=services.rural_tourism,
        table="乡村旅游点",
        update_frequency=Frequency.IRREGULAR,
        spatial_division="330500",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 10, 31)),
        tags=("乡村旅游", "民宿", "农家乐", "景区村庄"),
        license_id="cc-by-4.0",
    ),
    DemoResource(
        department="sxtransport",
        title="绍兴市公交线路",
        title_en="Bus lines of Shaoxing",
        summary=(
            "绍兴市越城区、柯桥区和上虞区公交线路的起讫站、首末班时间、票价、线路长度、"
            "站点数和运营单位。"
        ),
        category="transport",
        columns=(
            _c("线路名称"),
            _c("起点站"),
            _c("终点站"),
            _c("首班时间"),
            _c("末班时间"),
            _c("票价(元)", "numeric"),
            _c("线路长度(km)", "numeric"),
            _c("站点数", "int"),
            _c("新能源车辆", "bool"),
            _c("运营单位"),
        ),
        rows=services.bus_lines,
        table="公交线路",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330600",
        temporal=(dt.date(YEAR, 11, 1), dt.date(YEAR, 11, 30)),
        tags=("公交", "公共交通", "线路"),
        license_id="cc-zero",
    ),
    DemoResource(
        department="jhhealth",
        title="金华市医院床位使用情况",
        title_en="Hospital bed use in Jinhua",
        summary="金华市二级以上医院每月的核定床位、实际开放床位、月末在院人数和床位使用率。",
        category="health",
        columns=(
            _c("医院名称"),
            _c("区县"),
            _c("等级"),
            _c("统计月份", "date", doc="当月1日"),
            _c("核定床位", "int"),
            _c("实际开放床位", "int"),
            _c("月末在院人数", "int"),
            _c("床位使用率(%)", "numeric", doc="月末在院人数 ÷ 实际开放床位"),
        ),
        rows=services.hospital_beds,
        table=f"{YEAR}年月度床位",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330700",
        temporal=_THE_YEAR,
        tags=("医院", "床位", "卫生健康"),
        open_class=OpenClass.CONDITIONAL,
        open_conditions="注册用户登录后可查询，用于研究和公共服务。",
    ),
    DemoResource(
        department="qzwater",
        title="衢州市水库蓄水情况",
        title_en="Reservoir storage in Quzhou",
        summary="衢州市大中型水库每日8时的库水位、正常蓄水位、汛限水位、蓄水量和蓄水率。",
        category="water",
        columns=(
            _c("水库名称"),
            _c("所在区县"),
            _c("规模"),
            _c("日期", "date"),
            _c("库水位(m)", "numeric"),
            _c("正常蓄水位(m)", "numeric"),
            _c("汛限水位(m)", "numeric"),
            _c("蓄水量(万m³)", "numeric"),
            _c("蓄水率(%)", "numeric", doc="蓄水量 ÷ 正常蓄水位以下库容"),
        ),
        rows=environment.reservoirs,
        table=f"{YEAR}年10月逐日蓄水",
        update_frequency=Frequency.DAILY,
        spatial_division="330800",
        temporal=(dt.date(YEAR, 10, 1), dt.date(YEAR, 10, 30)),
        tags=("水库", "蓄水", "水资源"),
        license_id="cc-by-4.0",
        format="XLSX",
    ),
    DemoResource(
        department="nbdata",
        title="宁波市公共数据开放目录统计",
        title_en="Statistics of Ningbo's open-data catalogue",
        summary=(
            "宁波市各部门公共数据开放的数据集、数据项、数据量、接口数以及累计下载和调用次数，"
            "按季度统计。"
        ),
        category="government",
        columns=(
            _c("部门名称"),
            _c("统计季度"),
            _c("截止日期", "date"),
            _c("开放数据集", "int"),
            _c("无条件开放", "int"),
            _c("有条件开放", "int"),
            _c("数据项", "int"),
            _c("数据量(万条)", "numeric"),
            _c("API接口", "int"),
            _c("累计下载次数", "int"),
            _c("累计调用次数", "int"),
        ),
        rows=services.catalogue_statistics,
        table=f"{YEAR}年季度统计",
        update_frequency=Frequency.QUARTERLY,
        spatial_division="330200",
        temporal=_THE_YEAR,
        tags=("数据开放", "公共数据", "统计"),
        license_id="cc-zero",
    ),
    DemoResource(
        department="wzenv",
        title="温州市建设项目环境影响评价审批",
        title_en="Environmental impact assessment approvals of Wenzhou",
        summary=(
            "温州市生态环境局及各分局审批的建设项目环境影响报告书（表）：项目名称、建设单位、"
            "建设地点、行业类别、投资、审批文号和日期。"
        ),
        category="environment",
        columns=(
            _c("项目名称"),
            _c("建设单位"),
            _c("统一社会信用代码"),
            _c("建设地点"),
            _c("环评文件类型"),
            _c("行业类别", doc="GB/T 4754-2017"),
            _c("总投资(万元)", "numeric"),
            _c("环保投资(万元)", "numeric"),
            _c("审批文号"),
            _c("审批日期", "date"),
            _c("审批机关"),
        ),
        rows=environment.environmental_approvals,
        table=f"{YEAR}年环评审批",
        update_frequency=Frequency.WEEKLY,
        spatial_division="330300",
        temporal=(dt.date(YEAR, 1, 1), dt.date(YEAR, 11, 14)),
        tags=("环评", "建设项目", "审批"),
    ),
    DemoResource(
        department="xhmarket",
        title="西湖区食品安全监督抽检信息",
        title_en="Food safety sampling in Xihu District",
        summary=(
            "杭州市西湖区市场监管局食品安全监督抽检的样品、类别、标称生产企业、被抽样单位、"
            "检验结果和不合格项目。"
        ),
        category="market",
        columns=(
            _c("抽样编号"),
            _c("食品名称"),
            _c("食品类别"),
            _c("生产日期", "date"),
            _c("标称生产企业"),
            _c("被抽样单位"),
            _c("被抽样单位地址"),
            _c("检验结果"),
            _c("不合格项目"),
            _c("抽样日期", "date"),
        ),
        rows=market.food_checks,
        table=f"{YEAR}年监督抽检",
        update_frequency=Frequency.MONTHLY,
        spatial_division="330106",
        temporal=(dt.date(YEAR, 3, 1), dt.date(YEAR, 11, 7)),
        tags=("食品安全", "抽检", "西湖区"),
    ),
    DemoResource(
        department="hzmarket",
        title="杭州市电梯使用登记信息",
        title_en="Lift registrations of Hangzhou",
        summary=(
            "杭州市主城区在用电梯、自动扶梯的注册代码、品种、使用单位、安装地点、维保单位、"
            "投入使用日期和下次检验日期。"
        ),
        category="safety",
        columns=(
            _c("设备注册代码"),
            _c("设备品种", doc="TSG 08-2017 特种设备目录"),
            _c("使用单位"),
            _c("安装地点"),
            _c("所在区"),
            _c("维保单位"),
            _c("投入使用日期", "date"),
            _c("下次检验日期", "date"),
            _c("使用状态"),
        ),
        rows=market.lifts,
        table="电梯使用登记",
        update_frequency=Frequency.WEEKLY,
        spatial_division="330100",
        temporal=(dt.date(2003, 1, 1), dt.date(YEAR, 9, 30)),
        tags=("特种设备", "电梯", "安全"),
        open_class=OpenClass.CONDITIONAL,
        open_conditions="注册用户登录后可查询，用于电梯安全监督和维保服务。",
    ),
)
