"""The one declaration of every tab of the rules workbook (CONTRACT §3).

The parser, the validator, the example check and ``sheets init`` (headers, dropdowns,
notes) all derive from these declarations, so a column is added or changed here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.customers.domain.health import DIMENSIONS as HEALTH_DIMENSIONS
from shared.fulfilment.domain.orders import INVOICE_ON
from shared.rules.domain.rules import (
    BEHAVIOR_EVENTS,
    CREATE_OPPORTUNITY_ON,
    DEFAULT_WEBHOOKS,
    GRADES,
    ROLES,
    SCORING_OPS,
    WEBHOOK_KINDS,
)
from shared.time.domain.calendar_cells import HOLIDAY_KINDS

COLUMN_TYPES = ("str", "int", "number", "percent", "bool", "list", "enum", "enum_list", "date", "time")
LIST_TYPES = ("list", "enum_list")
NUMBER_TYPES = ("int", "number", "percent")

SOURCE_KINDS = ("signed", "public")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# the kinds of CONTRACT §3, then the short names of §9 (first_touch = lead_first_touch, ...)
SLA_KINDS = (
    "lead_first_touch",
    "case_first_response",
    "case_resolution",
    "approval",
    "first_touch",
    "first_response",
    "resolution",
)
CASE_PRIORITIES = ("p1", "p2", "p3", "p4")
ROUTED_OBJECTS = ("lead", "case", "account")
# Routing conditions that only a lead has: a case row may not use them (tab check)
LEAD_ONLY_ROUTING = ("region", "industry", "min_employees", "max_employees", "tier", "source", "grade")


@dataclass(frozen=True, slots=True)
class Column:
    """One column of a tab (or one Settings key, which is typed the same way).

    ``required`` means the column must exist and each row must fill it, unless
    ``allow_blank`` (e.g. Discounts.approvers: blank = no approval). ``ref`` names what a
    value refers to: team, owner, role, calendar, tier, source, region. ``help`` and
    ``help_zh`` explain the column (with an example) in the notes ``sheets init`` writes.
    ``minimum`` is the smallest value a number column takes (the validator reports less),
    ``maximum`` the largest (discounts: 100 %).
    """

    name: str
    type: str = "str"
    required: bool = False
    enum: tuple[str, ...] = ()
    ref: str | None = None
    default: Any = None
    help: str = ""
    zh: str = ""
    example: str = ""
    allow_blank: bool = False
    help_zh: str = ""  # the help in Chinese, for the zh-CN workbook's notes
    minimum: float | None = None
    maximum: float | None = None

    def __post_init__(self) -> None:
        if self.type not in COLUMN_TYPES:
            raise ValueError(f"column {self.name}: unknown type {self.type!r}")
        if (self.minimum is not None or self.maximum is not None) and self.type not in NUMBER_TYPES:
            raise ValueError(f"column {self.name}: only a number column can have a minimum or maximum")
        if self.type in ("enum", "enum_list") and not self.enum:
            raise ValueError(f"column {self.name}: an enum column needs its values")

    @property
    def is_list(self) -> bool:
        return self.type in LIST_TYPES

    @property
    def needs_value(self) -> bool:
        return self.required and not self.allow_blank


@dataclass(frozen=True, slots=True)
class Tab:
    name: str
    zh: str
    columns: tuple[Column, ...]
    help: str = ""
    required: bool = False
    help_zh: str = ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name!r}")


C = Column  # short alias: the declarations below are long enough already

SETTINGS_KEYS: tuple[Column, ...] = (
    C(
        "sql_threshold",
        "number",
        default=80,
        zh="SQL 阈值",
        example="80",
        help="Score at or above which a lead is an SQL and is routed to sales. Example: 80",
        help_zh="线索得分达到或超过此分数即为 SQL（销售合格线索），直接分配给销售。例如：80",
    ),
    C(
        "nurture_below",
        "number",
        default=60,
        zh="培育阈值",
        example="60",
        help="Score below which a lead goes to nurture; between the two it is an MQL. Example: 60",
        help_zh="线索得分低于此分数进入培育；介于两个阈值之间的为 MQL（市场合格线索）。例如：60",
    ),
    C(
        "default_country",
        "str",
        default="CN",
        zh="默认国家",
        example="CN",
        help="ISO country code assumed when a lead gives none. Example: CN",
        help_zh="线索没填国家时默认的国家代码（ISO 两位字母）。例如：CN",
    ),
    C(
        "currency",
        "str",
        default="CNY",
        zh="币种",
        example="CNY",
        help="ISO currency of amounts (budgets, prices, discounts). Example: CNY",
        help_zh="金额（预算、价格、折扣）使用的币种代码（ISO）。例如：CNY",
    ),
    C(
        "quality_fields",
        "list",
        default=["email", "phone", "name", "company", "title", "industry", "country"],
        zh="质量字段",
        example="email,phone,name,company,title,industry,country",
        help="Lead fields counted for data quality, comma-separated. Example: email,phone,name,company",
        help_zh="计算数据完整度时检查的线索字段，多个用逗号分隔。例如：email,phone,name,company",
    ),
    C(
        "quality_threshold",
        "number",
        default=60,
        zh="质量阈值",
        example="60",
        help="Data-quality % below which a lead needs enrichment before routing. Example: 60",
        help_zh="数据完整度（百分制）低于此值时，线索需先补全信息再分配。例如：60",
    ),
    C(
        "wake_click_rate",
        "percent",
        default=0.08,
        zh="唤醒点击率",
        example="8%",
        help="Email click rate at which a nurtured lead is woken up for re-scoring. Example: 8%",
        help_zh="培育中的线索邮件点击率（点击数 ÷ 发送数，至少发送 5 封）超过此值时重新唤醒。例如：8%",
    ),
    C(
        "wake_events",
        "enum_list",
        enum=BEHAVIOR_EVENTS,
        default=["whitepaper_download", "demo_request"],
        zh="唤醒事件",
        example="whitepaper_download,demo_request",
        help="Behaviour events that wake a nurtured lead at once. Example: whitepaper_download,demo_request",
        help_zh="培育中的线索一旦发生这些行为就立即唤醒，多个用逗号分隔，可选："
        + ", ".join(BEHAVIOR_EVENTS)
        + "。例如：whitepaper_download,demo_request",
    ),
    C(
        "timezone",
        "str",
        default="Asia/Shanghai",
        zh="时区",
        example="Asia/Shanghai",
        help="IANA time zone of the business. Example: Asia/Shanghai",
        help_zh="公司业务所在时区（IANA 时区名）。例如：Asia/Shanghai",
    ),
    C(
        "locale",
        "enum",
        enum=("en", "zh-CN"),
        default="en",
        zh="语言",
        example="zh-CN",
        help="Language of the alerts people receive (email and chat): en or zh-CN. Blank = en. Example: zh-CN",
        help_zh="提醒消息（邮件和群机器人）使用的语言：en 或 zh-CN；留空 = en。例如：zh-CN",
    ),
    C(
        "invoice_on",
        "enum",
        enum=INVOICE_ON,
        default="order_signed",
        zh="开票时机",
        example="order_signed",
        help="When finance is asked for an invoice: order_signed = one invoice once every line of the order is "
        "signed for; shipment_signed = one invoice per signed shipment. An order keeps the setting it was "
        "created under. Blank = order_signed. Example: order_signed",
        help_zh="何时请财务开票：order_signed = 订单所有明细签收后开一张发票；"
        "shipment_signed = 每个签收的发货单开一张。订单按创建时的设置开票。留空 = order_signed。例如：order_signed",
    ),
    C(
        "create_opportunity_on",
        "enum",
        enum=CREATE_OPPORTUNITY_ON,
        default="manual",
        zh="自动创建商机",
        example="manual",
        help="When a lead becomes an opportunity by itself: manual (only POST /opportunities), sql (when a "
        "lead first reaches sql with an owner) or first_touch (when its owner first touches an sql lead). "
        "Blank = manual. Example: manual",
        help_zh="线索何时自动转为商机：manual（仅手动创建）、sql（线索首次达到 SQL 且已分配负责人时）、"
        "first_touch（负责人首次跟进 SQL 线索时）；留空 = manual。例如：manual",
    ),
    C(
        "health_threshold",
        "number",
        default=60,
        zh="健康度阈值",
        example="60",
        help="An account's health score (0-100, the Health tab's weighted mean) below which its account "
        "manager is warned. Example: 60",
        help_zh="客户健康度总分（0-100，按“客户健康度”表加权）低于此值时提醒客户经理。例如：60",
    ),
    C(
        "rfm_window_days",
        "int",
        default=365,
        minimum=1,
        zh="RFM 统计天数",
        example="365",
        help="Customer segments: the days back that count for an account's order frequency and amount "
        "(the F and M of RFM). Blank = 365. Example: 365",
        help_zh="客户分层：统计客户下单次数与金额（RFM 中的 F 和 M）时回溯的天数；留空 = 365。例如：365",
    ),
    C(
        "link_ttl_hours",
        "int",
        default=72,
        minimum=1,
        zh="操作链接有效小时数",
        example="72",
        help="Action links in alerts (approve, reject, call, first response…) work this many hours after the "
        "alert, and once. Blank = 72. Example: 72",
        help_zh="提醒消息中的操作链接（审批、拒绝、致电、首次响应等）在提醒发出后多少小时内有效，且只能使用一次；"
        "留空 = 72。例如：72",
    ),
    C(
        "lead_retention_days",
        "int",
        minimum=1,
        allow_blank=True,
        zh="线索保留天数",
        example="730",
        help="Privacy (PIPL / GDPR): the daily retention-sweep erases the personal data of leads with no "
        "touch, activity or open work for this many days (the lead's facts stay for the KPIs). "
        "Blank = keep every lead. Example: 730",
        help_zh="隐私（PIPL / GDPR）：每日 retention-sweep 删除连续这么多天无跟进、无活动且无未完成工作的线索的"
        "个人信息（线索的业务数据保留，KPI 不变）；留空 = 永久保留。例如：730",
    ),
)

_SETTINGS = Tab(
    "Settings",
    "设置",
    required=True,
    help="One row per setting: key and value.",
    help_zh="每行一项设置：键和值。键请用英文名称（可在下拉列表中选）。",
    columns=(
        C(
            "key",
            "str",
            required=True,
            zh="键",
            example="sql_threshold",
            help="Setting name, one of: " + ", ".join(k.name for k in SETTINGS_KEYS) + ". Example: sql_threshold",
            help_zh="设置项名称（英文），可选：" + ", ".join(k.name for k in SETTINGS_KEYS) + "。例如：sql_threshold",
        ),
        C(
            "value",
            "str",
            required=True,
            allow_blank=True,  # only for a key that allows it (lead_retention_days: blank = keep); checks.py
            zh="值",
            example="80",
            help="Setting value, typed per key (number, list, percent...). Example: 80",
            help_zh="设置值，格式取决于设置项（数字、列表、百分比等）。例如：80",
        ),
    ),
)

_SOURCES = Tab(
    "Sources",
    "线索来源",
    required=True,
    help="Where leads come from and how they authenticate.",
    help_zh="线索从哪里来，以及如何校验来源身份。",
    columns=(
        C(
            "source",
            "str",
            required=True,
            zh="来源",
            example="website",
            help="Source id used in the webhook URL /webhooks/leads/{source}. Example: website",
            help_zh="来源标识，用在 Webhook 地址 /webhooks/leads/{来源} 中。例如：website",
        ),
        C(
            "kind",
            "enum",
            required=True,
            enum=SOURCE_KINDS,
            zh="类型",
            example="signed",
            help="signed = HMAC-signed server calls; public = browser forms checked by origin. Example: signed",
            help_zh="signed = 服务器调用，带 HMAC 签名；public = 网页表单，按来源域名校验。例如：signed",
        ),
        C(
            "allowed_origins",
            "list",
            zh="允许的来源域名",
            example="https://www.example.com",
            help="For public sources: browser origins allowed to post, comma-separated. "
            "Example: https://www.example.com",
            help_zh="仅用于 public 来源：允许提交表单的网页域名，多个用逗号分隔。例如：https://www.example.com",
        ),
        C(
            "channel",
            "str",
            zh="渠道",
            example="web",
            help="Marketing channel of the source. Example: web",
            help_zh="该来源所属的营销渠道。例如：web",
        ),
        C(
            "campaign",
            "str",
            zh="活动",
            example="expo-2026",
            help="Campaign leads are tagged with. Example: expo-2026",
            help_zh="来自该来源的线索标记的市场活动。例如：expo-2026",
        ),
        C(
            "active",
            "bool",
            default=True,
            zh="启用",
            example="TRUE",
            help="FALSE rejects new leads from this source. Blank = TRUE. Example: TRUE",
            help_zh="填“否”则拒收该来源的新线索；留空 = 是。例如：是",
        ),
        C(
            "webhooks",
            "enum_list",
            enum=WEBHOOK_KINDS,
            zh="可用接口",
            example="cases",
            help="The webhooks this source may post to, comma-separated: "
            + ", ".join(WEBHOOK_KINDS)
            + ". Any other webhook refuses it (403). Blank = "
            + ",".join(DEFAULT_WEBHOOKS)
            + ". Example: cases",
            help_zh="该来源可以调用的 Webhook，多个用逗号分隔，可选："
            + ", ".join(WEBHOOK_KINDS)
            + "；调用其他 Webhook 会被拒绝（403）。留空 = "
            + ",".join(DEFAULT_WEBHOOKS)
            + "。例如：cases",
        ),
    ),
)

_OWNERS = Tab(
    "Owners",
    "负责人",
    required=True,
    help="The people leads and deals are assigned to.",
    help_zh="可以分配线索和商机的人员。",
    columns=(
        C(
            "owner_id",
            "str",
            required=True,
            zh="负责人ID",
            example="u_wang",
            help="Unique, stable id of the person. Example: u_wang",
            help_zh="人员的唯一编号，启用后请勿修改。例如：u_wang",
        ),
        C(
            "name",
            "str",
            required=True,
            zh="姓名",
            example="王磊",
            help="Display name. Example: 王磊",
            help_zh="显示的姓名。例如：王磊",
        ),
        C(
            "email",
            "str",
            zh="邮箱",
            example="wang.lei@example.com",
            help="Work email. Example: wang.lei@example.com",
            help_zh="工作邮箱。例如：wang.lei@example.com",
        ),
        C(
            "team",
            "str",
            required=True,
            zh="团队",
            example="SMB East",
            help="Team name; Routing rows refer to these teams. Example: SMB East",
            help_zh="所属团队名称；分配规则中的团队就引用这里的名称。例如：SMB East",
        ),
        C(
            "role",
            "enum",
            required=True,
            enum=ROLES,
            ref="role",
            zh="角色",
            example="ae",
            help="One of " + ", ".join(ROLES) + ". Example: ae",
            help_zh="角色，可选：" + ", ".join(ROLES) + "。例如：ae",
        ),
        C(
            "manager_id",
            "str",
            ref="owner",
            zh="上级ID",
            example="u_li",
            help="owner_id of this person's manager (used for escalations). Example: u_li",
            help_zh="直属上级的负责人ID（用于升级处理）。例如：u_li",
        ),
        C(
            "capacity",
            "int",
            minimum=0,
            zh="容量",
            example="40",
            help="Most open leads at once, 0 or more; blank = no limit. Example: 40",
            help_zh="同时最多跟进的线索数，0 或以上；留空 = 不限。例如：40",
        ),
        C(
            "weight",
            "int",
            minimum=0,
            default=1,
            zh="权重",
            example="2",
            help="Share of round-robin assignments relative to teammates; 0 = paused (no new leads). "
            "Blank = 1. Example: 2",
            help_zh="轮询分配时相对同组同事的分配比例；0 = 暂停（不再分配新线索）；留空 = 1。例如：2",
        ),
        C(
            "active",
            "bool",
            default=True,
            zh="启用",
            example="TRUE",
            help="FALSE stops new assignments (leave, departure). Blank = TRUE. Example: TRUE",
            help_zh="填“否”则不再分配新线索（休假、离职）；留空 = 是。例如：是",
        ),
        C(
            "timezone",
            "str",
            zh="时区",
            example="Asia/Shanghai",
            help="IANA time zone, if not the company's. Example: Asia/Shanghai",
            help_zh="与公司时区不同时填写（IANA 时区名）。例如：Asia/Shanghai",
        ),
        C(
            "notify",
            "list",
            zh="通知方式",
            example="email,wecom",
            help="Notification channels, comma-separated. Example: email,wecom",
            help_zh="通知方式，多个用逗号分隔。例如：email,wecom",
        ),
    ),
)

_TIERS = Tab(
    "Tiers",
    "客户分级",
    help="Account tiers; the first matching row (lowest priority) wins, no match = standard.",
    help_zh="客户分级：按优先级从小到大匹配，第一条匹配的行生效；都不匹配则为 standard。",
    columns=(
        C(
            "priority",
            "int",
            required=True,
            zh="优先级",
            example="10",
            help="Lower is evaluated first; must be unique. Example: 10",
            help_zh="数字越小越先匹配，不能重复。例如：10",
        ),
        C(
            "tier",
            "str",
            required=True,
            zh="级别",
            example="vip",
            help="Tier name. Example: vip",
            help_zh="级别名称。例如：vip",
        ),
        C(
            "min_employees",
            "int",
            minimum=0,
            zh="最少员工数",
            example="1000",
            help="Minimum employees; blank = any. Example: 1000",
            help_zh="最少员工数；留空 = 不限。例如：1000",
        ),
        C(
            "max_employees",
            "int",
            minimum=0,
            zh="最多员工数",
            example="999",
            help="Maximum employees; blank = any. Example: 999",
            help_zh="最多员工数；留空 = 不限。例如：999",
        ),
        C(
            "industry",
            "list",
            zh="行业",
            example="manufacturing,energy",
            help="Canonical industries, comma-separated; blank = any. Example: manufacturing,energy",
            help_zh="标准行业（见行业映射表），多个用逗号分隔；留空 = 不限。例如：manufacturing,energy",
        ),
        C(
            "country",
            "list",
            zh="国家",
            example="CN",
            help="Country codes; blank = any. Example: CN",
            help_zh="国家代码，多个用逗号分隔；留空 = 不限。例如：CN",
        ),
        C(
            "min_budget",
            "number",
            zh="最低预算",
            example="1,000,000",
            help="Minimum budget; blank = any. Example: 1,000,000",
            help_zh="最低预算；留空 = 不限。例如：1,000,000",
        ),
    ),
)

_ROUTING = Tab(
    "Routing",
    "分配规则",
    required=True,
    help="Who gets a lead; the first matching row (lowest priority) wins. Blank condition = any.",
    help_zh="线索分给谁：按优先级从小到大匹配，第一条匹配的行生效。条件留空表示不限。",
    columns=(
        C(
            "priority",
            "int",
            required=True,
            zh="优先级",
            example="10",
            help="Lower is evaluated first; must be unique. Example: 10",
            help_zh="数字越小越先匹配，不能重复。例如：10",
        ),
        C(
            "team",
            "str",
            required=True,
            ref="team",
            zh="团队",
            example="Enterprise",
            help="Team (from Owners.team) that receives the lead. Example: Enterprise",
            help_zh="接收线索的团队（取自负责人表的团队列）。例如：Enterprise",
        ),
        C(
            "role",
            "enum_list",
            enum=ROLES,
            ref="role",
            zh="角色",
            example="ae,senior_ae",
            help="Only team members with these roles; blank = any. Example: ae,senior_ae",
            help_zh="只分给团队中这些角色的成员，多个用逗号分隔；留空 = 不限。例如：ae,senior_ae",
        ),
        C(
            "owner_id",
            "str",
            ref="owner",
            zh="负责人ID",
            example="u_zhao",
            help="Assign to this person (must be in the team); blank = round-robin. Example: u_zhao",
            help_zh="直接分给此人（须属于该团队）；留空 = 团队内轮询分配。例如：u_zhao",
        ),
        C(
            "country",
            "list",
            zh="国家",
            example="US,DE",
            help="Lead country codes; blank = any. Example: US,DE",
            help_zh="线索所在国家代码，多个用逗号分隔；留空 = 不限。例如：US,DE",
        ),
        C(
            "region",
            "list",
            ref="region",
            zh="区域",
            example="east",
            help="Regions (from Regions tab). Example: east",
            help_zh="销售区域（取自区域映射表），多个用逗号分隔；留空 = 不限。例如：east",
        ),
        C(
            "industry",
            "list",
            zh="行业",
            example="manufacturing",
            help="Canonical industries. Example: manufacturing",
            help_zh="标准行业，多个用逗号分隔；留空 = 不限。例如：manufacturing",
        ),
        C(
            "min_employees",
            "int",
            minimum=0,
            zh="最少员工数",
            example="200",
            help="Minimum employees. Example: 200",
            help_zh="最少员工数；留空 = 不限。例如：200",
        ),
        C(
            "max_employees",
            "int",
            minimum=0,
            zh="最多员工数",
            example="999",
            help="Maximum employees. Example: 999",
            help_zh="最多员工数；留空 = 不限。例如：999",
        ),
        C(
            "tier",
            "list",
            ref="tier",
            zh="级别",
            example="vip",
            help="Tiers (from Tiers tab, or standard). Example: vip",
            help_zh="客户级别（取自客户分级表，或 standard），多个用逗号分隔；留空 = 不限。例如：vip",
        ),
        C(
            "source",
            "list",
            ref="source",
            zh="来源",
            example="expo-2026",
            help="Lead sources (from Sources tab). Example: expo-2026",
            help_zh="线索来源（取自线索来源表），多个用逗号分隔；留空 = 不限。例如：expo-2026",
        ),
        C(
            "channel",
            "list",
            zh="渠道",
            example="event",
            help="Source channels. Example: event",
            help_zh="来源渠道，多个用逗号分隔；留空 = 不限。例如：event",
        ),
        C(
            "grade",
            "enum_list",
            enum=GRADES,
            zh="等级",
            example="sql",
            help="Lead grades: " + ", ".join(GRADES) + ". Example: sql",
            help_zh="线索等级，可选：" + ", ".join(GRADES) + "，多个用逗号分隔；留空 = 不限。例如：sql",
        ),
        C(
            "note",
            "str",
            zh="备注",
            example="Expo booth leads",
            help="Free text for people. Example: VIP to Enterprise",
            help_zh="备注，仅供人看。例如：展会线索由王磊跟进",
        ),
        C(
            "object",
            "enum",
            enum=ROUTED_OBJECTS,
            zh="对象",
            example="case",
            help="What the row routes: lead, case or account; blank = lead. Case rows may use "
            "case_priority, channel and country only. Example: case",
            help_zh="此行分配的对象：lead 线索、case 工单、account 客户；留空 = 线索。"
            "工单行只能使用工单优先级、渠道和国家条件。例如：case",
        ),
        C(
            "case_priority",
            "enum_list",
            enum=CASE_PRIORITIES,
            zh="工单优先级",
            example="p1",
            help="Cases only: the priorities this row takes (p1-p4); blank = any. Example: p1,p2",
            help_zh="仅用于工单：此行接收的工单优先级（p1–p4），多个用逗号分隔；留空 = 不限。例如：p1,p2",
        ),
        C(
            "segment",
            "list",
            ref="segment",
            zh="客户层级",
            example="高价值客户",
            help="Accounts only: the customer segments (Segments tab, or unsegmented) this row takes; an account "
            "entering one gets this row's account manager. Blank = any. Example: 高价值客户",
            help_zh="仅用于客户：此行接收的客户层级（取自客户分层表，或 unsegmented）；客户进入该层级时改由此行分配"
            "客户经理。留空 = 不限。例如：高价值客户",
        ),
    ),
)

_SCORING = Tab(
    "Scoring",
    "评分规则",
    required=True,
    help="Points added to a lead's score.",
    help_zh="线索评分：条件满足时加分（或减分）。",
    columns=(
        C(
            "rule_id",
            "str",
            required=True,
            zh="规则ID",
            example="fit_size_large",
            help="Unique id of the rule (shown in score explanations). Example: fit_size_large",
            help_zh="规则的唯一编号（会显示在得分说明里）。例如：fit_size_large",
        ),
        C(
            "field",
            "str",
            required=True,
            zh="字段",
            example="employees",
            help="A lead field; source, channel or campaign (matched against every touch of the lead); "
            "or event:<name> for behaviour. Example: employees, channel or event:demo_request",
            help_zh="线索字段；source、channel 或 campaign（与线索的每次来源接触比对）；"
            "或 event:行为名 表示行为事件。例如：employees、channel 或 event:demo_request",
        ),
        C(
            "op",
            "enum",
            required=True,
            enum=SCORING_OPS,
            zh="运算",
            example="gte",
            help="eq, in (list), gte/lte (number), contains (any of a list), exists (no value). Example: gte",
            help_zh="运算：eq 等于，in 属于列表，gte 大于等于，lte 小于等于，"
            "contains 包含列表中任一项，exists 有值（比较值留空）。例如：gte",
        ),
        C(
            "value",
            "str",
            zh="值",
            example="1000",
            help="Compared value: a number for gte/lte, a list for in/contains, blank for exists. Example: 1000",
            help_zh="比较值：gte/lte 填数字，in/contains 填逗号分隔的列表，exists 留空。例如：1000",
        ),
        C(
            "points",
            "number",
            required=True,
            zh="分数",
            example="30",
            help="Points when the rule matches (negative allowed). Example: 30",
            help_zh="规则匹配时加的分数（可以是负数）。例如：30",
        ),
        C(
            "max_times",
            "int",
            zh="最多次数",
            example="5",
            help="For events: most times the points count (blank = no limit); for source, channel or "
            "campaign: most matching touches that count (blank = once). Example: 5",
            help_zh="行为事件最多计分几次（留空 = 不限）；source、channel、campaign："
            "最多计分的匹配接触次数（留空 = 一次）。例如：5",
        ),
        C(
            "note",
            "str",
            zh="备注",
            example="Large company",
            help="Free text for people. Example: Large company",
            help_zh="备注，仅供人看。例如：大型企业",
        ),
    ),
)

_INDUSTRIES = Tab(
    "Industries",
    "行业映射",
    help="Industry synonyms mapped to canonical values.",
    help_zh="把线索中各种行业写法映射为标准行业。",
    columns=(
        C(
            "value",
            "str",
            required=True,
            zh="原始值",
            example="制造业",
            help="What a lead may say (matched case-insensitively). Example: 制造业",
            help_zh="线索里可能出现的行业写法（不区分大小写）。例如：制造业",
        ),
        C(
            "canonical",
            "str",
            required=True,
            zh="标准行业",
            example="manufacturing",
            help="Canonical industry used by Tiers, Routing and Scoring. Example: manufacturing",
            help_zh="标准行业，供客户分级、分配规则和评分规则使用。例如：manufacturing",
        ),
    ),
)

_REGIONS = Tab(
    "Regions",
    "区域映射",
    help="Country/province to sales region.",
    help_zh="国家/省份对应的销售区域。",
    columns=(
        C(
            "country",
            "str",
            required=True,
            zh="国家",
            example="CN",
            help="Country code. Example: CN",
            help_zh="国家代码。例如：CN",
        ),
        C(
            "province",
            "str",
            zh="省份",
            example="上海",
            help="Province; blank = whole country. Example: 上海",
            help_zh="省份；留空 = 整个国家。例如：上海",
        ),
        C(
            "region",
            "str",
            required=True,
            zh="区域",
            example="east",
            help="Sales region. Example: east",
            help_zh="销售区域。例如：east",
        ),
    ),
)

_PRODUCTS = Tab(
    "Products",
    "产品",
    help="Price list.",
    help_zh="产品价目表。",
    columns=(
        C(
            "sku",
            "str",
            required=True,
            zh="SKU",
            example="IOT-PLAT-STD",
            help="Unique product code. Example: IOT-PLAT-STD",
            help_zh="唯一的产品编码。例如：IOT-PLAT-STD",
        ),
        C(
            "name",
            "str",
            required=True,
            zh="名称",
            example="IoT 平台 标准版",
            help="Product name. Example: IoT Platform",
            help_zh="产品名称。例如：IoT 平台 标准版",
        ),
        C(
            "list_price",
            "number",
            minimum=0,
            required=True,
            zh="目录价",
            example="120,000",
            help="List price. Example: 120,000",
            help_zh="目录价（标准售价）。例如：120,000",
        ),
        C(
            "max_discount",
            "percent",
            minimum=0,
            maximum=1,
            required=True,
            zh="最大折扣",
            example="30%",
            help="Largest discount ever allowed on this product. Example: 30%",
            help_zh="该产品允许的最大折扣。例如：30%",
        ),
    ),
)

_DISCOUNTS = Tab(
    "Discounts",
    "折扣审批",
    help="Who approves a discount; bands by amount and discount.",
    help_zh="折扣审批：按商机金额和折扣区间决定由谁审批。",
    columns=(
        C(
            "priority",
            "int",
            required=True,
            zh="优先级",
            example="10",
            help="Lower is evaluated first. Example: 10",
            help_zh="数字越小越先匹配。例如：10",
        ),
        C(
            "min_amount",
            "number",
            minimum=0,
            zh="最低金额",
            example="0",
            help="The quote's amount is more than this (exclusive); blank = no lower bound. Example: 500,000",
            help_zh="报价金额大于此值（不含）；留空 = 不限。例如：500,000",
        ),
        C(
            "max_amount",
            "number",
            minimum=0,
            zh="最高金额",
            example="1,000,000",
            help="The quote's amount is at most this (inclusive); blank = no upper bound. Example: 1,000,000",
            help_zh="报价金额不超过此值（含）；留空 = 不限。例如：1,000,000",
        ),
        C(
            "min_discount",
            "percent",
            minimum=0,
            maximum=1,
            zh="最低折扣",
            example="10%",
            help="The quote's overall discount is more than this (exclusive); blank = no lower bound. Example: 20%",
            help_zh="报价整体折扣大于此值（不含）；留空 = 不限。例如：20%",
        ),
        C(
            "max_discount",
            "percent",
            minimum=0,
            maximum=1,
            zh="最高折扣",
            example="20%",
            help="The quote's overall discount is at most this (inclusive); blank = no upper bound. Example: 20%",
            help_zh="报价整体折扣不超过此值（含）；留空 = 不限。例如：20%",
        ),
        C(
            "approvers",
            "enum_list",
            required=True,
            allow_blank=True,
            enum=ROLES,
            ref="role",
            zh="审批人",
            example="manager,director",
            help="Approving roles in order; blank = no approval. Example: manager,director",
            help_zh="按顺序审批的角色，多个用逗号分隔；留空 = 无需审批。例如：manager,director",
        ),
    ),
)

_STAGES = Tab(
    "Stages",
    "销售阶段",
    help="Opportunity stages in order.",
    help_zh="商机阶段，按顺序排列。",
    columns=(
        C(
            "stage",
            "str",
            required=True,
            zh="阶段",
            example="discovery",
            help="Stage name. Example: discovery",
            help_zh="阶段名称。例如：discovery",
        ),
        C(
            "order",
            "int",
            required=True,
            zh="顺序",
            example="2",
            help="Position in the pipeline. Example: 2",
            help_zh="在销售流程中的顺序。例如：2",
        ),
        C(
            "exit_criteria",
            "list",
            zh="退出条件",
            example="budget,decision_maker,activity:call",
            help="Machine checks to leave this stage, comma-separated: an opportunity field that must be filled "
            "(budget, decision_maker, timeline, pain, ...), quote_approved, contract_signed, or activity:<type> "
            "(call, email, meeting, note). Put the human description in note. Example: budget,activity:call",
            help_zh="离开此阶段前必须满足的机器检查，多个用逗号分隔：必须填写的商机字段（budget、decision_maker、"
            "timeline、pain 等）、quote_approved（报价已审批）、contract_signed（合同已签）或 activity:<类型>"
            "（call、email、meeting、note）。文字说明写在 note 列。例如：budget,activity:call",
        ),
        C(
            "max_days",
            "number",
            minimum=0,
            zh="最长天数",
            example="14",
            help="Days an opportunity may stay in this stage before its owner and their manager are alerted "
            "(OpportunityStalled); blank = no limit. Example: 14",
            help_zh="商机在此阶段停留超过该天数即提醒负责人及其经理（商机停滞）；留空 = 不限。例如：14",
        ),
        C(
            "probability",
            "percent",
            zh="赢单概率",
            example="20%",
            help="Chance of winning from this stage, for forecasts. Example: 20%",
            help_zh="处于此阶段时的赢单概率，用于预测。例如：20%",
        ),
        C(
            "note",
            "str",
            zh="说明",
            example="Budget and decision maker confirmed; first call held",
            help="What the stage's exit means, for people. Example: Budget and decision maker confirmed",
            help_zh="阶段退出条件的文字说明。例如：预算和决策人已确认，已完成首次通话",
        ),
    ),
)

_CALENDARS = Tab(
    "Calendars",
    "工作日历",
    help="Business hours for SLA clocks.",
    help_zh="工作时间，用于计算服务时限（SLA）。",
    columns=(
        C(
            "calendar",
            "str",
            required=True,
            zh="日历",
            example="cn-office",
            help="Calendar name. Example: cn-office",
            help_zh="日历名称。例如：cn-office",
        ),
        C(
            "timezone",
            "str",
            required=True,
            zh="时区",
            example="Asia/Shanghai",
            help="IANA time zone. Example: Asia/Shanghai",
            help_zh="IANA 时区名。例如：Asia/Shanghai",
        ),
        C(
            # A list, not an enum_list: a range (mon-fri, 周一至周五) is one item; the calendar
            # module's parser checks and normalizes it (checks.type_calendars).
            "workdays",
            "list",
            required=True,
            enum=WEEKDAYS,
            zh="工作日",
            example="mon-fri",
            help="Working days: days (mon,tue,wed) or a range (mon-fri, 周一至周五). Example: mon-fri",
            help_zh="工作日：逐个列出（mon,tue,wed 或 周一,周三）或写范围（mon-fri、周一至周五）。例如：周一至周五",
        ),
        C(
            "start",
            "time",
            required=True,
            zh="上班时间",
            example="09:00",
            help="Start of day, HH:MM. Example: 09:00",
            help_zh="上班时间，格式 时:分。例如：09:00",
        ),
        C(
            "end",
            "str",  # a time, but 24:00 (end of the day, for 24x7) is allowed: checks.type_calendars
            required=True,
            zh="下班时间",
            example="18:00",
            help="End of day, HH:MM; 24:00 = midnight (mon-sun 00:00-24:00 is 24x7). Example: 18:00",
            help_zh="下班时间，格式 时:分；24:00 表示午夜（周一至周日 00:00-24:00 即全天候）。例如：18:00",
        ),
        C(
            "breaks",
            "list",
            zh="休息时间",
            example="12:00-13:30",
            help="Breaks within working hours, not counted, comma-separated. Example: 12:00-13:30",
            help_zh="工作时间内不计时的休息时段，多个用逗号分隔。例如：12:00-13:30",
        ),
        C(
            "holiday_country",
            "str",
            zh="节假日国家",
            example="CN",
            help="Country whose public holidays (and official make-up workdays) apply. Example: CN",
            help_zh="按哪个国家的法定节假日（及官方调休上班日）安排（国家代码）。例如：CN",
        ),
    ),
)

_HOLIDAYS = Tab(
    "Holidays",
    "节假日",
    help="Extra days off (company holidays) and make-up working days (kind workday) per calendar.",
    help_zh="各工作日历额外的休息日（含公司假期）和调休上班日（类型填 workday）。",
    columns=(
        C(
            "calendar",
            "str",
            required=True,
            ref="calendar",
            zh="日历",
            example="cn-office",
            help="Calendar (from Calendars). Example: cn-office",
            help_zh="日历（取自工作日历表）。例如：cn-office",
        ),
        C(
            "date",
            "date",
            required=True,
            zh="日期",
            example="2026-10-01",
            help="Day off (or make-up working day), YYYY-MM-DD. Example: 2026-10-01",
            help_zh="休息日（或调休上班日），格式 年-月-日。例如：2026-10-01",
        ),
        C(
            "name",
            "str",
            zh="名称",
            example="国庆节",
            help="Holiday name. Example: 国庆节",
            help_zh="节假日名称。例如：国庆节",
        ),
        C(
            "kind",
            "enum",
            enum=HOLIDAY_KINDS,
            default="holiday",
            zh="类型",
            example="holiday",
            help="holiday = day off; workday = worked although a weekend or public holiday (调休). "
            "Blank = holiday. Example: workday",
            help_zh="holiday 休息；workday 上班（周末或法定假日调休上班）。留空 = holiday。例如：workday",
        ),
    ),
)

_SLA = Tab(
    "SLA",
    "服务时限",
    help="Response and resolution targets.",
    help_zh="响应和解决的时限目标。",
    columns=(
        C(
            "kind",
            "enum",
            required=True,
            enum=SLA_KINDS,
            zh="类型",
            example="lead_first_touch",
            help="lead_first_touch, case_first_response, case_resolution or approval (first_touch, "
            "first_response and resolution also do). Example: lead_first_touch",
            help_zh="lead_first_touch 线索首次跟进，case_first_response 工单首次响应，"
            "case_resolution 工单解决，approval 审批。例如：lead_first_touch",
        ),
        C(
            "priority",
            "enum",
            enum=CASE_PRIORITIES,
            zh="优先级",
            example="p1",
            help="Case priority p1-p4. Example: p1",
            help_zh="工单优先级 p1–p4（p1 最紧急）。例如：p1",
        ),
        C(
            "grade",
            "enum",
            enum=GRADES,
            zh="等级",
            example="sql",
            help="Lead grade (for leads). Example: sql",
            help_zh="线索等级（用于线索时限）：" + ", ".join(GRADES) + "。例如：sql",
        ),
        C(
            "tier",
            "str",
            ref="tier",
            zh="级别",
            example="vip",
            help="Lead tier (from the Tiers tab, or standard); blank = any. Example: vip",
            help_zh="线索的客户级别（取自客户分级表，或 standard）；留空 = 不限。例如：vip",
        ),
        C(
            "target_hours",
            "number",
            required=True,
            zh="目标小时",
            example="2",
            help="Target in hours. Example: 2",
            help_zh="目标时限，单位小时。例如：2",
        ),
        C(
            "business_hours",
            "bool",
            default=True,
            zh="按工作时间",
            example="TRUE",
            help="Count business hours only. Blank = TRUE. Example: TRUE",
            help_zh="是否只计算工作时间；留空 = 是。例如：是",
        ),
        C(
            "calendar",
            "str",
            ref="calendar",
            zh="日历",
            example="cn-office",
            help="Calendar for business hours. Example: cn-office",
            help_zh="计算工作时间用的日历（取自工作日历表）。例如：cn-office",
        ),
        C(
            "warn_at",
            "percent",
            zh="预警点",
            example="75%",
            help="Warn when this share of the target has passed. Example: 75%",
            help_zh="已用时间达到目标时限的这个比例时发出预警。例如：75%",
        ),
        C(
            "escalate_to",
            "enum_list",
            enum=ROLES,
            ref="role",
            zh="升级给",
            example="manager,director",
            help="Roles up the owner's manager chain: the first hears on breach, each next one after one more "
            "full target. Example: manager,director",
            help_zh="超时后沿负责人的上级链依次通知的角色：第一个在超时时通知，之后每再过一个完整时限通知下一个。"
            "例如：manager,director",
        ),
        C(
            "reassign_after_hours",
            "number",
            zh="重新分配小时",
            example="48",
            help="Leads: reassign within the same routing pool when still untouched this many hours after "
            "assignment (counted like target_hours); blank = never. Example: 48",
            help_zh="线索：分配后超过这么多小时（与目标时限同样计算）仍未跟进，就在同一分配池内重新分配；"
            "留空 = 不重新分配。例如：48",
        ),
    ),
)

_RENEWALS = Tab(
    "Renewals",
    "续约提醒",
    help="Reminders before a contract ends.",
    help_zh="合同到期前的续约提醒。",
    columns=(
        C(
            "days_before",
            "int",
            required=True,
            zh="提前天数",
            example="90",
            help="Days before the end date. Example: 90",
            help_zh="合同到期前多少天提醒。例如：90",
        ),
        C(
            "notify",
            "enum_list",
            required=True,
            enum=ROLES,
            ref="role",
            zh="通知角色",
            example="am,manager",
            help="Roles told. Example: am,manager",
            help_zh="通知的角色，多个用逗号分隔。例如：am,manager",
        ),
        C(
            "create_opportunity",
            "bool",
            default=False,
            zh="创建商机",
            example="TRUE",
            help="Open a renewal opportunity. Blank = FALSE. Example: TRUE",
            help_zh="是否自动创建续约商机；留空 = 否。例如：是",
        ),
    ),
)

_HEALTH = Tab(
    "Health",
    "客户健康度",
    help="Customer health score dimensions; weights sum to 100%.",
    help_zh="客户健康度评分的维度；各维度权重合计应为 100%。",
    columns=(
        C(
            "dimension",
            "enum",
            enum=HEALTH_DIMENSIONS,
            required=True,
            zh="维度",
            example="usage",
            help="Dimension: usage (active ÷ licensed users), support (CSAT, open P1/P2 cases), payment "
            "(overdue or rejected invoices) or engagement (activity in the last 30 days). Example: usage",
            help_zh="维度：usage（活跃用户 ÷ 授权用户）、support（满意度、未解决的 P1/P2 工单）、"
            "payment（逾期或被退回的发票）、engagement（近 30 天的销售与服务活动）。例如：usage",
        ),
        C(
            "weight",
            "percent",
            required=True,
            zh="权重",
            example="40%",
            help="Share of the score. Example: 40%",
            help_zh="该维度在总分中的占比。例如：40%",
        ),
        C(
            "threshold",
            "number",
            zh="阈值",
            example="60",
            help="Below this the dimension is at risk. Example: 60",
            help_zh="低于此分数视为该维度有风险。例如：60",
        ),
    ),
)


def _bound(name: str, type_: str, zh: str, example: str, help_: str, help_zh: str) -> Column:
    return C(name, type_, minimum=0, zh=zh, example=example, help=help_, help_zh=help_zh)


_SEGMENTS = Tab(
    "Segments",
    "客户分层",
    help="Customer segments by RFM (recency, frequency, monetary); the first matching row (lowest priority) "
    "wins, bounds are inclusive, blank = any. An account that matches no row is unsegmented.",
    help_zh="按 RFM（最近一次下单、下单次数、下单金额）划分客户层级：按优先级从小到大匹配，第一条匹配的行生效；"
    "上下限均包含边界值，留空表示不限。没有匹配任何行的客户为 unsegmented。",
    columns=(
        C(
            "priority",
            "int",
            required=True,
            zh="优先级",
            example="10",
            help="Rows are tried from the lowest number up. Example: 10",
            help_zh="从小到大依次匹配。例如：10",
        ),
        C(
            "segment",
            "str",
            required=True,
            zh="客户层级",
            example="高价值客户",
            help="The segment's name, as GET /accounts?segment= and the Dashboard show it. Example: 高价值客户",
            help_zh="层级名称，GET /accounts?segment= 和仪表板都用此名称。例如：高价值客户",
        ),
        _bound(
            "min_recency_days",
            "int",
            "最近下单天数下限",
            "91",
            "Whole days since the latest order: at least this many. Example: 91",
            "距最近一次下单的整天数不少于此值。例如：91",
        ),
        _bound(
            "max_recency_days",
            "int",
            "最近下单天数上限",
            "90",
            "Whole days since the latest order: at most this many. Example: 90",
            "距最近一次下单的整天数不超过此值。例如：90",
        ),
        _bound(
            "min_frequency",
            "int",
            "下单次数下限",
            "2",
            "Orders in the last rfm_window_days (Settings): at least this many. Example: 2",
            "统计期（设置 rfm_window_days）内的下单次数不少于此值。例如：2",
        ),
        _bound(
            "max_frequency",
            "int",
            "下单次数上限",
            "1",
            "Orders in the last rfm_window_days: at most this many. Example: 1",
            "统计期内的下单次数不超过此值。例如：1",
        ),
        _bound(
            "min_monetary",
            "number",
            "下单金额下限",
            "500,000",
            "Sum of those orders' amounts (Settings currency): at least this. Example: 500,000",
            "统计期内订单金额合计（设置中的币种）不少于此值。例如：500,000",
        ),
        _bound(
            "max_monetary",
            "number",
            "下单金额上限",
            "100,000",
            "Sum of those orders' amounts: at most this. Example: 100,000",
            "统计期内订单金额合计不超过此值。例如：100,000",
        ),
        C(
            "notify",
            "enum_list",
            enum=ROLES,
            ref="role",
            zh="通知角色",
            example="am,manager",
            help="Roles told when an account enters this segment (am = the account manager, others up their "
            "manager chain); blank = nobody. Example: am,manager",
            help_zh="客户进入此层级时通知的角色（am = 客户经理，其余沿客户经理的上级链查找）；留空 = 不通知。"
            "例如：am,manager",
        ),
        C(
            "note",
            "str",
            zh="跟进策略",
            example="Quarterly business review; offer the premium plan",
            help="The playbook: sent with the alert. Example: Quarterly business review",
            help_zh="运营策略，随提醒一起发送。例如：每季度业务回顾，推荐高级版",
        ),
    ),
)

TABS: tuple[Tab, ...] = (
    _SETTINGS,
    _SOURCES,
    _OWNERS,
    _TIERS,
    _ROUTING,
    _SCORING,
    _INDUSTRIES,
    _REGIONS,
    _PRODUCTS,
    _DISCOUNTS,
    _STAGES,
    _CALENDARS,
    _HOLIDAYS,
    _SLA,
    _RENEWALS,
    _HEALTH,
    _SEGMENTS,
)
TAB_BY_NAME: dict[str, Tab] = {t.name: t for t in TABS}
SETTING_BY_KEY: dict[str, Column] = {k.name: k for k in SETTINGS_KEYS}


def normalize_header(text: str) -> str:
    return " ".join(str(text).split()).casefold()


def canonical_tab_name(name: str) -> str | None:
    """English name of a tab named in English (any case) or Chinese; None if unknown."""
    wanted = normalize_header(name)
    for tab in TABS:
        if wanted in (tab.name.casefold(), normalize_header(tab.zh)):
            return tab.name
    return None


def header_index(tab: Tab) -> dict[str, Column]:
    """Every accepted header spelling (English, Chinese; normalized) → its column."""
    index: dict[str, Column] = {}
    for col in tab.columns:
        index[normalize_header(col.name)] = col
        if col.zh:
            index[normalize_header(col.zh)] = col
    return index
