"""Parts that several subjects share: people, places, money lines, documents."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from .base import LabelledChoice, Model, choice_labels, field
from .codes import StaffPostField
from .values import Count, Day, Items, Money, Quantity


@choice_labels(
    {
        "none": "无",
        "assistant": "助理社会工作师",
        "intermediate": "社会工作师",
        "senior": "高级社会工作师",
    },
    # People also write the grade names.
    synonyms={"初级": "assistant", "中级": "intermediate", "高级": "senior", "无证": "none"},
)
class Certification(LabelledChoice):
    """National social-work qualification: none, 初级 assistant, 中级, 高级."""

    none = "none"
    assistant = "assistant"
    intermediate = "intermediate"
    senior = "senior"


CertificationField = Annotated[Certification, BeforeValidator(Certification.coerce)]


@choice_labels(
    {
        "social_assistance": "社会救助",
        "child_welfare": "儿童福利",
        "elderly_care": "养老服务",
        "community_governance": "社区治理",
        "other_civil_affairs": "其他民政",
        "needs_collection": "收集群众需求",
        "resource_linking": "链接社会资源",
        "assistance_services": "提供救助服务",
        "elder_child_care": "开展老幼关爱",
        "disability": "助残服务",
        "family": "婚姻家庭",
        "volunteering": "志愿服务",
        "other": "其他",
    },
    synonyms={
        "社会救助领域": "social_assistance",
        "儿童福利领域": "child_welfare",
        "养老服务领域": "elderly_care",
        "社区治理领域": "community_governance",
        "加强社区治理": "community_governance",
        "其他民政社会工作领域": "other_civil_affairs",
        "助残": "disability",
    },
)
class ServiceDomain(LabelledChoice):
    """Areas of social-work service named in the policies (Lanzhou 三(一), Sichuan's five)."""

    social_assistance = "social_assistance"
    child_welfare = "child_welfare"
    elderly_care = "elderly_care"
    community_governance = "community_governance"
    other_civil_affairs = "other_civil_affairs"
    needs_collection = "needs_collection"
    resource_linking = "resource_linking"
    assistance_services = "assistance_services"
    elder_child_care = "elder_child_care"
    disability = "disability"
    family = "family"
    volunteering = "volunteering"
    other = "other"


ServiceDomainField = Annotated[ServiceDomain, BeforeValidator(ServiceDomain.coerce)]


class Region(Model):
    """Administrative place, province down to village or community."""

    province: str | None = field("省", "Province")
    city: str | None = field("市", "City or prefecture")
    county: str | None = field("县(市、区)", "County, county-level city or district")
    township: str | None = field("乡镇(街道)", "Township or street")
    village: str | None = field("村(社区)", "Village or residents' community")


class StaffMember(Model):
    """A social worker or other member of a station's or project's team."""

    id: str | None = field("人员编号", "Staff identifier (stable across records)")
    name: str | None = field("姓名", "Name")
    role: str | None = field("职务", "Role as written, e.g. project director")
    post: StaffPostField | None = field(
        "岗位类别",
        "social_worker, civil_affairs_assistant, public_welfare_post, civil_affairs_staff, "
        "community_worker, volunteer or other",
    )
    certification: CertificationField | None = field(
        "职业水平证书", "Social-work qualification: none, assistant, intermediate, senior"
    )
    social_work_graduate: bool | None = field("社会工作专业毕业", "Graduated in social work")
    full_time: bool | None = field("全职", "Full-time")
    local: bool | None = field("本土人员", "Recruited locally")
    professional: bool | None = field("专业社工", "Counted as a professional social worker of the operator")
    joined: Day | None = field("入职日期", "Date joined")
    left: Day | None = field("离职日期", "Date left, if left")
    certificate_allowance: Money | None = field(
        "持证补贴(元)", "Pay added for holding a social-work certificate, per the record's pay period"
    )


class Site(Model):
    """Premises: area and functional areas."""

    area_m2: Quantity | None = field("服务面积(平方米)", "Service area in square metres")
    office_space: bool | None = field("办公场地", "Office space provided")
    functional_areas: Items[str] | None = field("功能区", "Functional areas, by name")
    office_desks: Count | None = field("办公位(个)", "Office desks", ge=0)
    address: str | None = field("地址", "Address")


class Equipment(Model):
    """Office equipment on site."""

    computers: Count | None = field("电脑(台)", "Computers", ge=0)
    printers: Count | None = field("打印机(台)", "Printers", ge=0)
    other: Items[str] | None = field("其他设备", "Other equipment")


class Service(Model):
    """A service line delivered (or contracted) in one domain."""

    domain: ServiceDomainField | None = field("服务领域", "Service domain")
    name: str | None = field("服务名称", "Service name")
    government_duty: bool | None = field(
        "属于政府直接履职事项", "A duty the government must perform itself (not purchasable)"
    )
    people_served: Count | None = field("服务人次", "People served (person-times)", ge=0)
    sessions: Count | None = field("活动场次", "Sessions or activities", ge=0)
    hours: Quantity | None = field("服务时长(小时)", "Service hours")


class Volunteers(Model):
    """Volunteer figures."""

    registered: Count | None = field("志愿者人数", "Volunteers recruited", ge=0)
    regular: Count | None = field("常态化志愿者人数", "Regular volunteers", ge=0)
    teams: Count | None = field("志愿服务团体(个)", "Volunteer teams", ge=0)
    hours: Quantity | None = field("志愿服务时长(小时)", "Volunteer service hours")


class Period(Model):
    """A date range, both ends included."""

    start: Day | None = field("开始日期", "First day")
    end: Day | None = field("结束日期", "Last day")


class BudgetLine(Model):
    """One named line of a budget, optionally split into sub-lines."""

    category: str | None = field(
        "类别",
        "Line code, e.g. staff, services, training, evaluation_audit, management",
    )
    name: str | None = field("名称", "Line name as written in the budget")
    amount: Money | None = field("金额(元)", "Amount in yuan")
    lines: Items[BudgetLine] | None = field("明细", "Sub-lines")


class Budget(Model):
    """A budget: its total and its lines."""

    total: Money | None = field("预算总额(元)", "Total in yuan")
    actual: Money | None = field("实际投入(元)", "Actually spent, in yuan")
    lines: Items[BudgetLine] | None = field("预算科目", "Budget lines")


class Document(Model):
    """A policy or management document a project relies on."""

    number: str | None = field("文号", "Document number, e.g. 川财社〔2020〕64号")
    title: str | None = field("标题", "Title")


class Rating(Model):
    """An organisation's grade from the civil-affairs rating (e.g. 3A)."""

    level: Count | None = field("评估等级(A)", "Number of A's: 1 to 5", ge=1, le=5)
    year: Count | None = field("评定年份", "Year rated", ge=1990, le=2100)


class Penalty(Model):
    """An administrative penalty recorded against an organisation."""

    date: Day | None = field("处罚日期", "Date of the penalty")
    authority: str | None = field("处罚机关", "Authority that imposed it")
    description: str | None = field("处罚事由", "What it was for")


@choice_labels({"passed": "合格", "failed": "不合格", "not_participated": "未参加"})
class InspectionResult(LabelledChoice):
    """Outcome of an annual inspection."""

    passed = "passed"
    failed = "failed"
    not_participated = "not_participated"


class AnnualInspection(Model):
    """One year's annual inspection (年检) result."""

    year: Count | None = field("年度", "Year inspected", ge=1990, le=2100)
    result: Annotated[InspectionResult, BeforeValidator(InspectionResult.coerce)] | None = field(
        "年检结果", "passed, failed or not_participated (合格 / 不合格 / 未参加)"
    )


BudgetLine.model_rebuild()
