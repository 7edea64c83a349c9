"""Coded values of fields people used to fill with free text: approvals, evaluations, reports,
funding sources and channels, project status, disclosure items, agreement indicators, staff posts.

Each is a :class:`LabelledChoice`: records may give the code or the Chinese label (or a listed
synonym), packs compare against the code (``validate`` names a misspelt one), and reports show
the label.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from .base import LabelledChoice, choice_labels


@choice_labels(
    {
        "plan": "实施方案",
        "budget": "资金预算",
        "hiring": "人员招聘",
        "procurement": "采购方式",
        "other": "其他",
    },
)
class ApprovalMatter(LabelledChoice):
    """A major matter that needs approval (Hunan: plan, budget, hiring, procurement)."""

    plan = "plan"
    budget = "budget"
    hiring = "hiring"
    procurement = "procurement"
    other = "other"


@choice_labels(
    {"evaluation": "绩效评估", "audit": "审计"},
    synonyms={"评估": "evaluation", "第三方评估": "evaluation", "财务审计": "audit"},
)
class EvaluationKind(LabelledChoice):
    """An evaluation of performance, or an audit of the accounts (an audit is not an evaluation)."""

    evaluation = "evaluation"
    audit = "audit"


@choice_labels(
    {"midterm": "中期", "final": "末期", "annual": "年度"},
    synonyms={"结项": "final", "终期": "final", "期末": "final"},
)
class EvaluationStage(LabelledChoice):
    """When in a project's life an evaluation or audit took place."""

    midterm = "midterm"
    final = "final"
    annual = "annual"


@choice_labels(
    {
        "midterm": "中期报告",
        "final": "结项报告",
        "supervision": "督导报告",
        "audit": "审计报告",
        "summary": "总结报告",
    },
    synonyms={"末期报告": "final", "终期报告": "final"},
)
class ReportKind(LabelledChoice):
    """A report an operator submits."""

    midterm = "midterm"
    final = "final"
    supervision = "supervision"
    audit = "audit"
    summary = "summary"


@choice_labels(
    {
        "fiscal_budget": "财政预算资金",
        "social_assistance_special": "社会救助专项资金",
        "social_assistance_working": "社会救助工作经费",
        "welfare_lottery": "福彩公益金",
        "pairing_aid": "对口支援资金",
        "charity": "社会资源",
        "tax_relief": "税收优惠减免",
        "other": "其他",
    },
    synonyms={
        "财政预算": "fiscal_budget",
        "财政预算经费": "fiscal_budget",
        "社会救助专项经费": "social_assistance_special",
        "社会救助专项工作经费": "social_assistance_working",
        "福利彩票公益金": "welfare_lottery",
        "对口援藏资金": "pairing_aid",
        "对口援疆资金": "pairing_aid",
        "社会资源链接": "charity",
        "税收优惠": "tax_relief",
    },
)
class FundKind(LabelledChoice):
    """A kind of money: a project's funding source, a region's funding channel."""

    fiscal_budget = "fiscal_budget"
    social_assistance_special = "social_assistance_special"
    social_assistance_working = "social_assistance_working"
    welfare_lottery = "welfare_lottery"
    pairing_aid = "pairing_aid"
    charity = "charity"
    tax_relief = "tax_relief"
    other = "other"


@choice_labels(
    {"planned": "未启动", "in_progress": "实施中", "completed": "已完成"},
    synonyms={"已结项": "completed", "结项": "completed", "进行中": "in_progress", "计划中": "planned"},
)
class ProjectStatus(LabelledChoice):
    """Where a project stands."""

    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"


@choice_labels(
    {
        "name": "项目名称",
        "content": "服务内容",
        "period": "项目周期",
        "amount": "项目金额",
        "lead": "项目负责人",
        "contact": "联系方式",
        "completion": "完成情况",
        "supervision": "监督情况",
        "effects": "服务成效",
        "fund_rules": "资金管理办法",
    }
)
class DisclosureItem(LabelledChoice):
    """An item a fund-use disclosure (公示) shows."""

    name = "name"
    content = "content"
    period = "period"
    amount = "amount"
    lead = "lead"
    contact = "contact"
    completion = "completion"
    supervision = "supervision"
    effects = "effects"
    fund_rules = "fund_rules"


@choice_labels(
    {
        "content": "服务内容",
        "people_served": "服务人数",
        "service_hours": "服务时长",
        "satisfaction": "群众满意度",
        "person_times": "服务人次",
    },
    synonyms={"服务对象人数": "people_served", "服务时间": "service_hours", "满意度": "satisfaction"},
)
class ContractIndicator(LabelledChoice):
    """An indicator a service agreement sets (Hunan: content, people served, hours, satisfaction).

    Person-times (人次) is not people served (人数): an agreement may set both."""

    content = "content"
    people_served = "people_served"
    service_hours = "service_hours"
    satisfaction = "satisfaction"
    person_times = "person_times"


@choice_labels(
    {
        "social_worker": "社工",
        "civil_affairs_assistant": "民政协理员",
        "public_welfare_post": "公益性岗位",
        "civil_affairs_staff": "民政工作人员",
        "community_worker": "社区工作者",
        "volunteer": "志愿者",
        "other": "其他",
    },
    synonyms={
        "社会工作者": "social_worker",
        "专职社工": "social_worker",
        "村级民政协理员": "civil_affairs_assistant",
        "公益岗": "public_welfare_post",
        "民政专干": "civil_affairs_staff",
        "民政局人员": "civil_affairs_staff",
        "民政办工作人员": "civil_affairs_staff",
        "社区工作人员": "community_worker",
        "社区专职工作人员": "community_worker",
    },
)
class StaffPost(LabelledChoice):
    """The post a member of a station's team holds (who counts toward a staffing formula)."""

    social_worker = "social_worker"
    civil_affairs_assistant = "civil_affairs_assistant"
    public_welfare_post = "public_welfare_post"
    civil_affairs_staff = "civil_affairs_staff"
    community_worker = "community_worker"
    volunteer = "volunteer"
    other = "other"


ApprovalMatterField = Annotated[ApprovalMatter, BeforeValidator(ApprovalMatter.coerce)]
EvaluationKindField = Annotated[EvaluationKind, BeforeValidator(EvaluationKind.coerce)]
EvaluationStageField = Annotated[EvaluationStage, BeforeValidator(EvaluationStage.coerce)]
ReportKindField = Annotated[ReportKind, BeforeValidator(ReportKind.coerce)]
FundKindField = Annotated[FundKind, BeforeValidator(FundKind.coerce)]
ProjectStatusField = Annotated[ProjectStatus, BeforeValidator(ProjectStatus.coerce)]
DisclosureItemField = Annotated[DisclosureItem, BeforeValidator(DisclosureItem.coerce)]
ContractIndicatorField = Annotated[ContractIndicator, BeforeValidator(ContractIndicator.coerce)]
StaffPostField = Annotated[StaffPost, BeforeValidator(StaffPost.coerce)]
