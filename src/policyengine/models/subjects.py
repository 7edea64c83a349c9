"""The five subjects packs evaluate: organization, station, project, community, funding.

Every field may be absent (``None``): a rule that needs an absent fact gives ``unknown``,
never ``pass``. Lists are absent too until given; an empty list is a known "none".
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BeforeValidator

from .base import LabelledChoice, Model, Subject, choice_labels, field
from .codes import (
    ApprovalMatterField,
    ContractIndicatorField,
    DisclosureItemField,
    EvaluationKindField,
    EvaluationStageField,
    FundKindField,
    ProjectStatusField,
    ReportKindField,
)
from .components import (
    AnnualInspection,
    Budget,
    Document,
    Equipment,
    Penalty,
    Period,
    Rating,
    Region,
    Service,
    Site,
    StaffMember,
    Volunteers,
)
from .values import Count, Day, Items, Money, Quantity


class Governance(Model):
    """An organisation's governance and finance set-up (Lanzhou 七(二)2)."""

    legal_person_structure: bool | None = field("法人治理结构健全", "Sound legal-person governance")
    internal_structure: bool | None = field("内部治理结构完善", "Sound internal governance")
    rules: bool | None = field("规章制度健全", "Rules and regulations in place")
    financial_system: bool | None = field("财务制度健全", "Financial management system in place")
    independent_bank_account: bool | None = field("独立银行账号", "Independent bank account")


class Organization(Subject):
    """A social-work organisation (社工机构) that operates stations or projects."""

    kind_name: ClassVar[str] = "organization"
    kind_title: ClassVar[dict[str, str]] = {"zh": "社工机构", "en": "organization"}

    kind: Literal["organization"] = "organization"
    region: Region | None = field("所在地", "Where it is registered")
    registered_with_civil_affairs: bool | None = field(
        "在民政部门登记", "Registered with a civil-affairs department"
    )
    registration_date: Day | None = field("登记日期", "Date registered")
    social_work_organization: bool | None = field("社工机构", "Registered as a social-work organisation")
    annual_inspections: Items[AnnualInspection] | None = field("年检记录", "Annual inspections")
    penalties: Items[Penalty] | None = field("处罚记录", "Penalties imposed by the registration authority")
    blacklisted: bool | None = field("列入黑名单", "On a civil-affairs blacklist")
    governance: Governance | None = field("治理结构", "Governance and finance")
    rating: Rating | None = field("评估等级", "Civil-affairs rating (A grade)")
    projects_completed: Count | None = field(
        "已实施社工服务项目(个)", "Social-work service projects carried out before", ge=0
    )
    staff: Items[StaffMember] | None = field("专业团队", "Professional team")


@choice_labels(
    {
        "city_centre": "市级服务指导中心",
        "county_centre": "县级社工总站",
        "township_station": "乡镇(街道)社工站",
        "village_room": "村(居)社工室",
        "incubation_park": "社会组织孵化园",
    }
)
class StationLevel(LabelledChoice):
    """Where a station sits in the service system."""

    city_centre = "city_centre"
    county_centre = "county_centre"
    township_station = "township_station"
    village_room = "village_room"
    incubation_park = "incubation_park"


@choice_labels({"sprouting": "萌芽型", "startup": "初创型", "developing": "发展型", "hub": "枢纽型"})
class IncubationStage(LabelledChoice):
    """Stage of an organisation being incubated (Renshou: 萌芽型/初创型/发展型/枢纽型)."""

    sprouting = "sprouting"
    startup = "startup"
    developing = "developing"
    hub = "hub"


class IncubatedOrganization(Model):
    """An organisation hosted by an incubation park."""

    name: str | None = field("名称", "Name")
    stage: Annotated[IncubationStage, BeforeValidator(IncubationStage.coerce)] | None = field(
        "发展阶段", "Stage: sprouting, startup, developing or hub"
    )
    registered: bool | None = field("已登记", "Already registered")


class Incubation(Model):
    """What an incubation park offers (Renshou 一园四平台)."""

    platforms: Items[str] | None = field("平台", "Platforms, by name")
    management_rules: Items[str] | None = field("管理制度", "Management rules and regulations")
    expert_pool_size: Count | None = field("专家库人数", "Members of the expert pool", ge=0)
    organizations: Items[IncubatedOrganization] | None = field("入园组织", "Organisations hosted")


class Station(Subject):
    """A social-work station (社工站) or centre at one level of the service system."""

    kind_name: ClassVar[str] = "station"
    kind_title: ClassVar[dict[str, str]] = {"zh": "社工站", "en": "station"}

    kind: Literal["station"] = "station"
    level: Annotated[StationLevel, BeforeValidator(StationLevel.coerce)] | None = field(
        "层级", "county_centre, township_station, village_room, city_centre or incubation_park"
    )
    region: Region | None = field("所在地", "Where it is")
    established: Day | None = field("建站日期", "Date established")
    plaque_hung: bool | None = field("已挂牌", "Plaque hung")
    site: Site | None = field("场地", "Premises")
    equipment: Equipment | None = field("设备", "Equipment")
    staff: Items[StaffMember] | None = field("工作人员", "Staff")
    volunteers: Volunteers | None = field("志愿者", "Volunteers")
    services: Items[Service] | None = field("服务", "Services delivered")
    systems: Items[str] | None = field("规章制度", "Rules and working procedures in place, by name")
    work_procedures: bool | None = field("有工作流程", "Working procedures in place")
    functions: Items[str] | None = field("服务功能", "Service functions the station offers, by name")
    visual_identity: bool | None = field("统一形象标识", "Uses the unified visual identity")
    villages: Count | None = field("辖村(社区)数", "Villages and communities the station serves", ge=0)
    operator: Organization | None = field("运营机构", "Operator")
    operator_from_outside_city: bool | None = field(
        "运营机构为市外机构", "The operator is based outside the city"
    )
    liaison: bool | None = field("专职联动人员", "A dedicated liaison is assigned")
    annual_funding: Money | None = field("年度运营经费(元)", "Annual operating funds in yuan")
    incubation: Incubation | None = field("孵化功能", "Incubation park details")


@choice_labels(
    {
        "public_tender": "公开招标",
        "invited_tender": "邀请招标",
        "competitive_negotiation": "竞争性谈判",
        "competitive_consultation": "竞争性磋商",
        "single_source": "单一来源",
        "inquiry": "询价",
        "direct_award": "直接委托",
    }
)
class ProcurementMethod(LabelledChoice):
    """How the operator was chosen."""

    public_tender = "public_tender"
    invited_tender = "invited_tender"
    competitive_negotiation = "competitive_negotiation"
    competitive_consultation = "competitive_consultation"
    single_source = "single_source"
    inquiry = "inquiry"
    direct_award = "direct_award"


class Procurement(Model):
    """The purchase of the service (政府购买服务)."""

    method: Annotated[ProcurementMethod, BeforeValidator(ProcurementMethod.coerce)] | None = field(
        "采购方式", "Procurement method"
    )
    via_public_resource_centre: bool | None = field(
        "经公共资源交易中心", "Run through the public resource trading centre"
    )
    contract_signed: Day | None = field("协议签订日期", "Date the service agreement was signed")


@choice_labels(
    {
        "county_standing_committee": "县委常委会",
        "county_head_office_meeting": "县长办公会",
        "bureau": "民政局",
        "other": "其他",
    }
)
class ApprovalBody(LabelledChoice):
    """Who approved a matter."""

    county_standing_committee = "county_standing_committee"
    county_head_office_meeting = "county_head_office_meeting"
    bureau = "bureau"
    other = "other"


class Approval(Model):
    """Approval of a major matter (plan, budget, hiring, procurement)."""

    matter: ApprovalMatterField | None = field("事项", "plan, budget, hiring, procurement or other")
    body: Annotated[ApprovalBody, BeforeValidator(ApprovalBody.coerce)] | None = field(
        "审议机构", "Approving body"
    )
    date: Day | None = field("审议日期", "Date approved")
    minutes: bool | None = field("会议纪要", "Recorded in meeting minutes")


class ContractTerms(Model):
    """What the service agreement names (Hunan: 4 categories, 21 items, 4 kinds of indicator)."""

    service_categories: Count | None = field("服务类别(大类)", "Service categories named", ge=0)
    service_items: Count | None = field("服务事项(项)", "Service items named", ge=0)
    indicators: Items[ContractIndicatorField] | None = field(
        "服务指标", "Indicators named: content, people_served, service_hours, satisfaction"
    )
    renewal_by_evaluation: bool | None = field(
        "以评估结果决定续签", "Renewal depends on the performance evaluation"
    )


class ProjectReport(Model):
    """A report the operator submitted (mid-term, final, ...)."""

    kind: ReportKindField | None = field("报告类型", "midterm, final, supervision, audit or summary")
    date: Day | None = field("提交日期", "Date submitted")
    confirmed_by_community: bool | None = field("社区确认", "Confirmed with comments by the community")


class Evaluation(Model):
    """An evaluation or audit of a project."""

    kind: EvaluationKindField | None = field("类型", "evaluation or audit")
    stage: EvaluationStageField | None = field("阶段", "midterm, final or annual")
    third_party: bool | None = field("第三方机构", "Done by an independent third party")
    date: Day | None = field("日期", "Date")
    score: Quantity | None = field("得分", "Score, if scored")
    passed: bool | None = field("通过", "Passed")


class FundingSource(Model):
    """Where a project's money comes from."""

    kind: FundKindField | None = field(
        "资金来源",
        "welfare_lottery, social_assistance_special, social_assistance_working, fiscal_budget, "
        "pairing_aid, charity, tax_relief or other",
    )
    documents: Items[Document] | None = field("资金管理办法", "Fund-management documents")
    provincial_subsidy: Money | None = field("省级补助(元)", "Provincial subsidy in yuan")
    city_subsidy: Money | None = field("市级财政补助(元)", "City subsidy in yuan")


class Disclosure(Model):
    """Public disclosure of a project's fund use (公示)."""

    published: Day | None = field("公示日期", "Date published")
    items: Items[DisclosureItemField] | None = field(
        "公示内容",
        "Items disclosed: name, content, period, amount, lead, contact, completion, "
        "supervision, effects, fund_rules",
    )


class Outputs(Model):
    """Figures a project reports about its work."""

    households_surveyed: Count | None = field("需求调研户数", "Households surveyed for needs", ge=0)
    villages_surveyed: Count | None = field("调研村(社区)数", "Villages or communities surveyed", ge=0)
    assistance_cases: Count | None = field("社会救助个案数", "Social-assistance cases", ge=0)
    elder_files: Count | None = field("老年人档案数", "Elder files opened", ge=0)
    child_files: Count | None = field("儿童档案数", "Child files opened", ge=0)
    volunteer_teams: Count | None = field("志愿服务团体数", "Volunteer teams", ge=0)
    volunteers: Count | None = field("招募志愿者人数", "Volunteers recruited", ge=0)
    trainees: Count | None = field("培训人数", "People trained", ge=0)
    person_times: Count | None = field("服务人次", "Person-times served", ge=0)
    service_hours: Quantity | None = field("服务时长(小时)", "Service hours delivered")
    satisfaction_rate: Quantity | None = field(
        "群众满意度(%)", "Share of people served who were satisfied, in percent", le=100
    )


class StreetSupport(Model):
    """What the pilot street (街道) provides to the operator (Lanzhou 四(三))."""

    office_space: bool | None = field("提供工作场地", "Office space provided")
    computers: Count | None = field("电脑(台)", "Computers provided", ge=0)
    printers: Count | None = field("打印机(台)", "Printers provided", ge=0)
    liaison: bool | None = field("配备专职联动人员", "Dedicated liaison assigned")
    station_plaque_hung: bool | None = field("街道社工站已挂牌", "Street station set up and plaque hung")
    joint_meeting_system: bool | None = field("建立联席会议制度", "Joint meeting system set up")


class Application(Model):
    """A community's written application to be a pilot (Lanzhou 七(一)4)."""

    written: bool | None = field("书面申请", "Written application submitted")
    signed_by_street_leader: bool | None = field(
        "街道主要领导签字", "Signed by the street's principal leader"
    )
    date: Day | None = field("申请日期", "Date")


class Community(Subject):
    """A village or residents' community, e.g. a pilot community."""

    kind_name: ClassVar[str] = "community"
    kind_title: ClassVar[dict[str, str]] = {"zh": "社区", "en": "community"}

    kind: Literal["community"] = "community"
    region: Region | None = field("所在地", "Where it is")
    pilot: bool | None = field("试点社区", "A pilot community")
    site: Site | None = field("场地", "Premises")
    application: Application | None = field("申报材料", "Pilot application")
    street_support: StreetSupport | None = field("街道保障", "What the street provides")
    contact_person: bool | None = field("明确专人负责", "A named staff member is responsible")


class Project(Subject):
    """A government-purchased social-work service project (购买服务项目)."""

    kind_name: ClassVar[str] = "project"
    kind_title: ClassVar[dict[str, str]] = {"zh": "购买服务项目", "en": "project"}

    kind: Literal["project"] = "project"
    programme: str | None = field("所属计划", "Programme, e.g. 三社联动试点")
    region: Region | None = field("实施地区", "Where it runs")
    period: Period | None = field("项目周期", "Project period")
    status: ProjectStatusField | None = field("实施状态", "planned, in_progress or completed")
    budget: Budget | None = field("预算", "Budget")
    funding: FundingSource | None = field("资金来源", "Funding source")
    procurement: Procurement | None = field("采购", "How the service was purchased")
    approvals: Items[Approval] | None = field("重大事项审议", "Approvals of major matters")
    contract: ContractTerms | None = field("服务协议", "Service agreement terms")
    operator: Organization | None = field("承接机构", "Operator")
    staff: Items[StaffMember] | None = field("项目社工", "Project social workers")
    community: Community | None = field("试点社区", "The community served")
    services: Items[Service] | None = field("服务内容", "Services")
    reports: Items[ProjectReport] | None = field("项目报告", "Reports submitted")
    evaluations: Items[Evaluation] | None = field("评估审计", "Evaluations and audits")
    supervised_by: str | None = field("监督单位", "Supervising authority")
    disclosure: Disclosure | None = field("资金使用公示", "Public disclosure of fund use")
    outputs: Outputs | None = field("服务成效", "Reported outputs")
    station: Station | None = field("依托社工站", "The station the project runs from")


class Funds(Model):
    """A region's money for one year (yuan)."""

    social_assistance: Money | None = field("社会救助专项资金(元)", "Social-assistance special funds")
    social_assistance_working: Money | None = field("社会救助工作经费(元)", "Social-assistance working funds")
    purchase_services: Money | None = field("购买社工服务支出(元)", "Spent on purchased social-work services")
    purchase_from_special: Money | None = field(
        "其中:社会救助专项资金列支(元)", "Of which paid from social-assistance special funds"
    )
    purchase_from_working: Money | None = field(
        "其中:社会救助工作经费列支(元)", "Of which paid from social-assistance working funds"
    )
    assistance_subsidies: Money | None = field(
        "社会救助补助资金总和(元)", "All social-assistance subsidy funds raised locally"
    )
    previous_year_assistance_expenditure: Money | None = field(
        "上年度社会救助支出总额(元)", "Previous year's total social-assistance expenditure"
    )
    lottery_welfare: Money | None = field("福彩公益金(元)", "Welfare-lottery public-welfare funds")
    fiscal_budget: Money | None = field("财政预算资金(元)", "Fiscal budget funds")


class Funding(Subject):
    """A region's social-assistance funding figures and what it spent on purchased services."""

    kind_name: ClassVar[str] = "funding"
    kind_title: ClassVar[dict[str, str]] = {"zh": "资金使用", "en": "funding"}

    kind: Literal["funding"] = "funding"
    region: Region | None = field("地区", "Region")
    year: Count | None = field("年度", "Budget year", ge=1990, le=2100)
    funds: Funds | None = field("资金", "Funds")
    channels: Items[FundKindField] | None = field(
        "资金渠道", "Funding channels used: fiscal_budget, social_assistance_special, ..."
    )
