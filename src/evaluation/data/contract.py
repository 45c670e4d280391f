"""The input data contract, as data: every table, column, Chinese header, type, range and key.

This module is the single source of truth for ``../shared/design/data-model.md`` (plus the tables this project
added, see ``docs/conventions.md``). The pandera schemas (:mod:`evaluation.data.schemas`), the header mapping of the
readers and the bilingual data dictionary in ``data/`` are all generated from it, so they cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Column", "Table", "TABLES", "table", "LIKERT_ITEMS", "IMPORTANCE_ITEMS", "COMMUNITY_FK", "NONE_WORDS", "NOTES_ZH"]

# How exports say "none" in a list column: counted as a co-organiser they would turn 42.9% into 100%.
NONE_WORDS = ("无", "/", "暂无", "没有", "空", "-", "—", "——", "N/A", "NA", "none", "nil", "null", "无协办",
              "无协办方", "0")

Kind = Literal["str", "int", "float", "date", "datetime", "flag", "category", "text"]
COMMUNITY_FK = "communities.community_id"


@dataclass(frozen=True)
class Column:
    """One column of a contract table."""

    name: str
    zh: str
    kind: Kind = "str"
    required: bool = False
    en: str = ""
    min: float | None = None
    max: float | None = None
    allowed: tuple[str, ...] | None = None
    missing_codes: tuple[float, ...] = ()
    aliases: tuple[str, ...] = ()
    foreign_key: str | None = None
    personal: bool = False
    nullable: bool | None = None  # default: optional columns may be empty, required ones may not
    # Values that exports write for "none" in this column (无, /, 暂无 …): read as empty.
    none_values: tuple[str, ...] = ()
    # A calendar year: held to the plausible dates' years (1949 … cut-off + 1), like the dates.
    calendar_year: bool = False

    @property
    def may_be_empty(self) -> bool:
        return (not self.required) if self.nullable is None else self.nullable

    @property
    def headers(self) -> tuple[str, ...]:
        """Every header under which the column may arrive."""
        return (self.name, self.zh, *self.aliases)


@dataclass(frozen=True)
class Table:
    """One contract table: one file per table, named after ``name``."""

    name: str
    zh: str
    en: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()
    required: bool = False
    added: bool = False  # not in the original contract; see docs/conventions.md
    order: tuple[tuple[str, str], ...] = ()  # (earlier, later) pairs: later must not precede earlier
    notes: tuple[str, ...] = field(default_factory=tuple)

    def notes_in(self, lang: str) -> tuple[str, ...]:
        """The notes in ``lang`` (``zh`` from :data:`NOTES_ZH`, else the English ones)."""
        return NOTES_ZH.get(self.name, self.notes) if lang == "zh" else self.notes

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(f"{self.name} has no column {name!r}")

    @property
    def required_columns(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)


def _cid(required: bool = True) -> Column:
    return Column("community_id", "社区编码", "str", required, "Community code", foreign_key=COMMUNITY_FK,
                  aliases=("社区代码", "社区ID"))


LIKERT_ITEMS: dict[str, str] = {
    "q_committee": "两委更精干",
    "q_infrastructure": "基础设施更完善",
    "q_activities": "活动更丰富",
    "q_neighbours": "邻里更和谐",
    "q_trust": "信任邻居",
    "q_belonging": "归属感",
    "q_grid_service": "网格服务",
    "q_service_station": "党群服务站点",
}
IMPORTANCE_ITEMS: dict[str, str] = {f"imp_{k[2:]}": f"重要性：{v}" for k, v in LIKERT_ITEMS.items()}

_PERSONAL = (
    Column("name", "姓名", "str", en="Name (personal: pseudonymised on loading)", personal=True,
           aliases=("名字", "联系人", "full_name")),
    Column("phone", "手机号", "str", en="Phone (personal: pseudonymised on loading)", personal=True,
           aliases=("联系电话", "电话", "mobile", "tel")),
    Column("id_number", "身份证号", "str", en="ID-card number (personal: pseudonymised on loading)", personal=True,
           aliases=("身份证", "证件号码", "id_card")),
)

_SURVEY_ITEMS = tuple(
    Column(k, v, "float", False, f"{v} (1–5, 5 = strongly agree / very satisfied)", 1, 5, missing_codes=(8, 9))
    for k, v in LIKERT_ITEMS.items()
) + tuple(
    Column(k, v, "float", False, f"Importance of {k[4:]} (1–5)", 1, 5, missing_codes=(8, 9))
    for k, v in IMPORTANCE_ITEMS.items()
)

TABLES: tuple[Table, ...] = (
    Table("communities", "社区名录", "Community register", (
        Column("community_id", "社区编码", "str", True, "Community code", aliases=("社区代码", "社区ID")),
        Column("name_zh", "社区名称", "str", True, "Community name"),
        Column("street", "街道", "str", True, "Street (sub-district)"),
        Column("valid_from", "设立日期", "date", en="Established"),
        Column("valid_to", "撤并日期", "date", en="Merged or split (empty while current)"),
        Column("community_type", "社区类型", "str", en="Community type"),
        Column("lat", "纬度", "float", en="Latitude", min=-90, max=90),
        Column("lon", "经度", "float", en="Longitude", min=-180, max=180),
    ), key=("community_id",), required=True, order=(("valid_from", "valid_to"),),
        notes=("Communities that were merged or split stay listed, with valid_to set.",)),
    Table("community_lineage", "社区调整沿革", "Community lineage (10 → 43 split)", (
        Column("from_id", "原社区", "str", True, "Old community", foreign_key=COMMUNITY_FK),
        Column("to_id", "新社区", "str", True, "New community", foreign_key=COMMUNITY_FK),
        Column("effective_date", "生效日期", "date", True, "Effective date"),
        Column("pop_share", "人口划转比例", "float", True, "Share of the old population moved (0–1)", 0, 1),
    ), key=("from_id", "to_id", "effective_date"),
        notes=("The shares leaving one community on one date sum to 1. A community splits at most once "
               "(its series is carried to its children by from_id).",
               "A community that keeps its code when part of it splits off is listed as a row to itself beside the "
               "new community (C01 → C01 0.7, C01 → C44 0.3, same date); no other row may lead a community to "
               "itself, and no chain of rows may lead back to where it started.",
               "effective_date lies within both communities' lifetimes (valid_from … the day after valid_to).")),
    Table("population", "人口", "Population", (
        _cid(),
        Column("year", "年份", "int", True, "Year", 1900, 2100, calendar_year=True),
        Column("resident_pop", "常住人口", "int", True, "Resident population", 0),
        Column("households", "户数", "int", en="Households", min=0),
        Column("migrant_pop", "流动人口", "int", en="Migrant population", min=0),
        Column("pop_60p", "60岁及以上", "int", en="Aged 60 and over", min=0),
        Column("pop_0_14", "0–14岁", "int", en="Aged 0–14", min=0, aliases=("0-14岁",)),
    ), key=("community_id", "year")),
    Table("population_margins", "人口结构", "Population margins (survey weighting targets)", (
        _cid(),
        Column("year", "年份", "int", True, "Year", 1900, 2100, calendar_year=True),
        Column("dimension", "维度", "category", True, "Dimension", allowed=("sex", "age_group", "hukou")),
        Column("level", "类别", "str", True, "Level"),
        Column("count", "人数", "int", True, "Persons", 0),
    ), key=("community_id", "year", "dimension", "level")),
    Table("programme_rollout", "模式推行", "Programme roll-out", (
        _cid(),
        Column("component", "推行内容", "str", True, "Component (jinlin_model marks adoption)"),
        Column("start_date", "启动日期", "date", True, "Start date"),
        Column("end_date", "结束日期", "date", en="End date"),
    ), key=("community_id", "component", "start_date"), order=(("start_date", "end_date"),),
        notes=("The first start date of component jinlin_model defines the community's cohort; "
               "a community with no such row has never been treated.",)),
    Table("survey_responses", "居民调查", "Resident survey", (
        Column("wave", "调查轮次", "int", True, "Survey wave (year)", 1900, 2100, calendar_year=True),
        Column("respondent_id", "受访者编号", "str", True, "Respondent id"),
        _cid(),
        Column("stratum", "分层", "str", en="Stratum"),
        Column("psu", "抽样单元", "str", en="Primary sampling unit"),
        Column("base_weight", "设计权数", "float", en="Design weight", min=0),
        Column("interview_date", "访问日期", "date", en="Interview date"),
        Column("sex", "性别", "category", True, "Sex", allowed=("male", "female"),
               aliases=("gender",)),
        Column("age", "年龄", "int", True, "Age", 0, 120),
        Column("hukou", "户籍", "category", en="Hukou", allowed=("local", "migrant")),
        Column("tenure", "住房", "category", en="Tenure", allowed=("owner", "renter", "dormitory")),
        Column("years_resident", "居住年数", "float", en="Years resident", min=0, max=120),
        *_SURVEY_ITEMS,
        Column("q_overall", "总体满意度", "float", en="Overall satisfaction (1–10)", min=1, max=10,
               missing_codes=(98, 99)),
        Column("q_recommend", "推荐意愿", "float", en="Would recommend (0–10)", min=0, max=10,
               missing_codes=(98, 99)),
        Column("q_participated_12m", "参加社区活动", "flag", en="Took part in a community activity (12 months)"),
        Column("q_volunteered_12m", "参加志愿服务", "flag", en="Volunteered (12 months)"),
        Column("comment", "意见建议", "text", en="Free-text comment (phone and ID numbers masked)"),
        *_PERSONAL,
    ), key=("wave", "respondent_id"),
        notes=("Codes 8/9 on 1–5 items and 98/99 on 0–10 items (don't know / refused) become missing values.",
               "Without stratum, psu or base_weight the design is a simple random sample.",
               "A stratum (of a wave) whose design weights are all 0 is refused: it would stand for nobody.")),
    Table("activities", "活动", "Activities", (
        Column("activity_id", "活动编号", "str", True, "Activity id"),
        _cid(),
        Column("date", "日期", "date", True, "Date"),
        Column("activity_type", "活动类型", "str", True, "Activity type"),
        Column("attendance", "参与人次", "int", True, "Attendance (person-times, not people)", 0),
        Column("organiser_type", "主办方类型", "str", en="Organiser type"),
        Column("co_organisers", "协办方", "str", en="Co-organisers", none_values=NONE_WORDS),
        Column("target_group", "服务对象", "str", en="Target group"),
        Column("venue_level", "阵地层级", "category", en="Venue level",
               allowed=("district", "street", "community", "estate")),
    ), key=("activity_id",)),
    Table("organisations", "社会组织与志愿队伍", "Organisations and volunteer teams", (
        Column("org_id", "组织编号", "str", True, "Organisation id"),
        _cid(),
        Column("org_type", "组织类型", "category", True, "Type",
               allowed=("cso", "volunteer_team", "community_fund")),
        Column("founded", "成立日期", "date", True, "Founded"),
        Column("dissolved", "注销日期", "date", en="Dissolved"),
        Column("members", "成员数", "int", en="Members", min=0),
        Column("funds_raised_cny", "筹资额", "float", en="Funds raised (CNY)", min=0),
    ), key=("org_id",), order=(("founded", "dissolved"),)),
    Table("volunteers", "志愿者", "Volunteers", (
        Column("person_key", "人员编码", "str", True, "Pseudonymous person key"),
        _cid(),
        Column("registered", "注册日期", "date", True, "Registered"),
        Column("is_party_member", "是否党员", "flag", en="Party member"),
        Column("returned_party_member", "回社区报到党员", "flag", en="Returned party member"),
        Column("team_id", "队伍编号", "str", en="Volunteer team"),
        *_PERSONAL,
    ), key=("person_key",),
        notes=("Without person_key, the key is derived on loading from the personal columns (姓名, 手机号, "
               "身份证号): HMAC-SHA256 with the installation's secret salt of the ID number, else the phone number, "
               "else the name; the personal columns are then dropped.",)),
    Table("service_hours", "服务时长", "Volunteer service hours", (
        Column("person_key", "人员编码", "str", True, "Pseudonymous person key", foreign_key="volunteers.person_key"),
        Column("date", "日期", "date", True, "Date"),
        Column("hours", "时长", "float", True, "Hours", 0, 24),
        Column("activity_id", "活动编号", "str", en="Activity id"),
        *_PERSONAL,
    ), notes=("Without person_key, the key is derived on loading from the personal columns, as for volunteers (the "
              "same salt and identifier give the same key, so hours join their volunteer).",)),
    Table("grid_events", "网格事件", "Grid events", (
        Column("event_id", "事件编号", "str", True, "Event id"),
        _cid(),
        Column("grid_id", "网格编号", "str", en="Grid id"),
        Column("category", "事件类别", "str", True, "Category"),
        Column("source", "来源", "str", en="Source"),
        Column("reported_at", "上报时间", "datetime", True, "Reported at"),
        Column("deadline_at", "办理时限", "datetime", en="Deadline"),
        Column("closed_at", "办结时间", "datetime", True, "Closed at (empty while open)", nullable=True),
        Column("status", "状态", "category", True, "Status", allowed=("open", "in_progress", "closed")),
        Column("callback", "回访结果", "category", en="Callback result",
               allowed=("satisfied", "basically", "dissatisfied", "not_reached")),
        Column("description", "事件描述", "text", en="Description (phone and ID numbers masked)"),
        *_PERSONAL,
    ), key=("event_id",), order=(("reported_at", "closed_at"),),
        notes=("closed_at ≥ reported_at. An open event is censored at the data cut-off; it is not dropped.",)),
    Table("petitions", "信访", "Petitions", (
        Column("case_id", "信访件编号", "str", True, "Case id"),
        _cid(),
        Column("received_date", "受理日期", "date", True, "Received"),
        Column("category", "类别", "str", True, "Category"),
        Column("real_estate_related", "涉地产", "flag", en="Land- or property-related"),
        Column("channel", "渠道", "str", en="Channel"),
        Column("concluded_date", "办结日期", "date", en="Concluded"),
        Column("persons", "人数", "int", en="Persons", min=0),
        *_PERSONAL,
    ), key=("case_id",), order=(("received_date", "concluded_date"),)),
    Table("service_stations", "党群服务阵地", "Service stations (1+3+43+N)", (
        Column("station_id", "阵地编号", "str", True, "Station id"),
        Column("level", "层级", "category", True, "Level", allowed=("district", "street", "community", "estate")),
        _cid(),
        Column("lat", "纬度", "float", True, "Latitude", -90, 90),
        Column("lon", "经度", "float", True, "Longitude", -180, 180),
        Column("opened", "启用日期", "date", en="Opened"),
        Column("closed", "停用日期", "date", en="Closed"),
        Column("floor_area_m2", "面积", "float", en="Floor area (m²)", min=0),
    ), key=("station_id",), order=(("opened", "closed"),)),
    Table("residential_points", "居住点", "Residential points", (
        Column("point_id", "居住点编号", "str", True, "Point id"),
        _cid(),
        Column("lat", "纬度", "float", True, "Latitude", -90, 90),
        Column("lon", "经度", "float", True, "Longitude", -180, 180),
        Column("residents", "人数", "int", True, "Residents", 0),
    ), key=("point_id",)),
    Table("community_workers", "社区工作者", "Community workers", (
        Column("worker_key", "人员编码", "str", True, "Pseudonymous worker key"),
        _cid(),
        Column("grade", "岗位等级", "int", True, "Grade (三岗十八级, 1–18)", 1, 18),
        Column("hired", "入职日期", "date", True, "Hired"),
        Column("left", "离职日期", "date", en="Left"),
        Column("promoted_year", "晋升年份", "int", en="Year of last promotion", min=1900, max=2100, calendar_year=True),
        Column("certified", "持证", "flag", en="Holds a social-work certificate"),
    ), key=("worker_key",), order=(("hired", "left"),)),
    Table("pairings", "结对共建", "Co-building pairings (added)", (
        Column("pairing_id", "结对编号", "str", True, "Pairing id"),
        Column("unit_name", "共建单位", "str", True, "Paired unit"),
        _cid(),
        Column("start_date", "结对日期", "date", True, "Start"),
        Column("end_date", "结束日期", "date", en="End"),
        Column("unit_type", "单位类型", "category", en="Unit type", allowed=("agency", "enterprise", "institution")),
    ), key=("pairing_id",), added=True, order=(("start_date", "end_date"),)),
    Table("committee_members", "兼职委员", "Part-time committee members (added)", (
        Column("member_key", "委员编号", "str", True, "Member key"),
        _cid(),
        Column("appointed", "任职日期", "date", True, "Appointed"),
        Column("left", "离任日期", "date", en="Left"),
        Column("source_unit", "来源单位", "str", en="Source unit"),
    ), key=("member_key",), added=True, order=(("appointed", "left"),)),
    Table("joint_meetings", "联席会议", "Joint meetings (added)", (
        Column("meeting_id", "会议编号", "str", True, "Meeting id"),
        _cid(),
        Column("date", "日期", "date", True, "Date"),
        Column("issues_raised", "议题数", "int", en="Issues raised", min=0),
        Column("issues_resolved", "解决难题数", "int", en="Issues resolved", min=0),
    ), key=("meeting_id",), added=True),
    Table("grid_staff", "网格员", "Grid staff (added)", (
        Column("staff_key", "网格员编号", "str", True, "Staff key"),
        _cid(),
        Column("staff_type", "人员类型", "category", True, "Staff type",
               allowed=("department_specialist", "street_cadre")),
        Column("department", "所属部门", "str", en="Department"),
        Column("joined", "入格日期", "date", en="Joined"),
        Column("left", "离格日期", "date", en="Left"),
    ), key=("staff_key",), added=True, order=(("joined", "left"),)),
    Table("district_panel", "区县年度面板", "District panel: the district and comparison districts (added)", (
        Column("district_id", "区县编码", "str", True, "District or county code"),
        Column("name_zh", "区县名称", "str", True, "District or county name"),
        Column("year", "年份", "int", True, "Year", 1900, 2100, calendar_year=True),
        Column("programme_start_year", "推行年份", "int", en="Year the district adopted the model district-wide "
               "(empty for comparison districts)", min=1900, max=2100, calendar_year=True),
        Column("resident_pop", "常住人口", "int", en="Resident population", min=0),
        Column("migrant_share", "流动人口占比", "float", en="Migrant share of residents (0–1)", min=0, max=1),
        Column("gdp_per_capita_cny", "人均地区生产总值", "float", en="GDP per capita (CNY)", min=0),
        Column("satisfaction_index", "满意度指数", "float", en="Resident satisfaction index (0–100)", min=0, max=100),
        Column("on_time_rate", "按期办结率", "float", en="Share of grid events due in the year closed on time (0–1)",
               min=0, max=1),
        Column("real_estate_petitions_per_10k", "每万人涉地产信访", "float",
               en="Real-estate-related petitions per 10,000 residents", min=0),
    ), key=("district_id", "year"), added=True,
        notes=("One row per district or county and year: the district itself (programme_start_year set) and the "
               "comparison districts of a district-wide synthetic control.",)),
)

# The tables' notes in Chinese, in the order of ``Table.notes`` (issue 17: dictionary.zh.md had English notes).
NOTES_ZH: dict[str, tuple[str, ...]] = {
    "communities": ("合并或拆分过的社区仍保留在名录中，并填写 valid_to。",),
    "community_lineage": (
        "同一社区在同一日期划出的人口比例之和为 1。一个社区至多拆分一次（其数据按 from_id 划转给新社区）。",
        ("部分拆出后仍保留原代码的社区，写作指向自己的一行，与新社区并列（C01 → C01 0.7，C01 → C44 0.3，日期相同）；"
         "除此以外，任何一行都不能指向社区自身，也不能有一串行绕回起点。"),
        "effective_date 须在两个社区的存续期内（valid_from 至 valid_to 的次日）。",
    ),
    "programme_rollout": ("组件 jinlin_model 的最早开始日期决定社区的推行批次；没有这一行的社区视为从未推行。",),
    "survey_responses": (
        "1–5 分题的 8/9 和 0–10 分题的 98/99（不知道/拒答）按缺失值处理。",
        "没有 stratum、psu 或 base_weight 时，按简单随机抽样处理。",
        "某轮调查中设计权数全部为 0 的层会被拒绝：它不代表任何人。",
    ),
    "volunteers": (("没有 person_key 时，读入时由个人信息列（姓名、手机号、身份证号）生成：以本机的保密盐对身份证号"
                    "（没有时用手机号，再没有时用姓名）做 HMAC-SHA256，随后删除个人信息列。"),),
    "service_hours": (("没有 person_key 时，读入时按与志愿者相同的方法由个人信息列生成（相同的盐和身份信息得到相同的"
                       "键，服务时长因此能与志愿者对应）。"),),
    "grid_events": ("closed_at ≥ reported_at。未办结的事件在数据截止日删失处理，不删除。",),
    "district_panel": ("每个区（县）每年一行：本区（填写 programme_start_year）以及全区层面合成控制所用的对照区。",),
}

_BY_NAME = {t.name: t for t in TABLES}


def table(name: str) -> Table:
    """The contract table called ``name`` (English table name)."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise KeyError(f"no contract table {name!r}; known: {', '.join(_BY_NAME)}") from None
