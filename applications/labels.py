"""Chinese labels for the codes stored in records: statuses, workflow actions, audit events.

Pages, exports and the audit log show these instead of `letter_issued` or
`application.mark_failed`. An unknown code falls back to a generic label, never the code.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy


def _action_labels() -> dict:
    from applications.lifecycle.transitions import Action

    return {a.value: a.label for a in Action}


EVENT_LABELS = {
    "application.flag_resolved": gettext_lazy("核实疑似重复"),
    "application.letter_issued": gettext_lazy("出具核定通知书"),
    "application.create": gettext_lazy("创建申报"),
    "application.pledge_signed": gettext_lazy("签署承诺书"),
    "clause.rule_change": gettext_lazy("修改奖励规则"),
    "credential.add": gettext_lazy("登记资质档案"),
    "credential.remove": gettext_lazy("删除资质档案"),
    "organisation.bank_account_change": gettext_lazy("变更收款账户"),
    "organisation.register": gettext_lazy("申报主体注册"),
    "organisation.uscc_override": gettext_lazy("信用代码人工核准"),
    "organisation.profile_update": gettext_lazy("修改单位信息"),
    "payment_batch.bank_change_confirmed": gettext_lazy("确认账户变更"),
    "payment_batch.build": gettext_lazy("生成拨付批次"),
    "payment_batch.build_resumed": gettext_lazy("继续生成拨付批次"),
    "payment_batch.built": gettext_lazy("拨付批次生成完成"),
    "payment_batch.export": gettext_lazy("导出拨付清单"),
    "payment_batch.lines_removed": gettext_lazy("移出拨付明细"),
    "payment_batch.lock": gettext_lazy("锁定拨付批次"),
    "payment_batch.results": gettext_lazy("导入银行回单"),
    "round.save": gettext_lazy("保存申报批次"),
    "user.create": gettext_lazy("创建工作人员账户"),
    "objection.lodge": gettext_lazy("提出异议"),
    "calendar.schedule_imported": gettext_lazy("导入节假日安排"),
    "evidence.scan": gettext_lazy("证明材料病毒扫描"),
    "organisation.push_preference": gettext_lazy("设置政策推送"),
    "outbox.retry": gettext_lazy("重新投递"),
    "payment_batch.results_import_queued": gettext_lazy("提交银行回单导入"),
    "recognition_list.import": gettext_lazy("导入认定名单（免申即享）"),
    "round.clauses": gettext_lazy("设置批次条款"),
    "round_budget.delete": gettext_lazy("删除批次预算"),
    "round_budget.save": gettext_lazy("保存批次预算"),
    "security.breakglass_superuser": gettext_lazy("应急超级管理员"),
    "security.download": gettext_lazy("下载文件"),
    "security.export": gettext_lazy("导出数据"),
    "security.login": gettext_lazy("登录成功"),
    "security.login_failed": gettext_lazy("登录失败"),
    "security.logout": gettext_lazy("退出登录"),
    "security.otp_enrol": gettext_lazy("绑定动态验证码"),
    "security.otp_reset": gettext_lazy("重置动态验证码"),
    "security.password_change": gettext_lazy("修改密码"),
    "security.password_reset": gettext_lazy("通过邮件链接重设密码"),
    "security.password_reset_request": gettext_lazy("申请重设密码"),
    "security.token_issue": gettext_lazy("接口登录（签发令牌）"),
    "security.token_revoke": gettext_lazy("接口退出（吊销令牌）"),
    "security.refused": gettext_lazy("拒绝越权访问"),
    "security.unlock": gettext_lazy("解除账户锁定"),
    "service_account.create": gettext_lazy("创建接口账户"),
    "service_account.revoke": gettext_lazy("吊销接口密钥"),
    "service_account.rotate": gettext_lazy("轮换接口密钥"),
    "service_account.webhook_subscribe": gettext_lazy("订阅状态推送"),
    "service_account.webhook_unsubscribe": gettext_lazy("取消状态推送"),
    "user.role_assign": gettext_lazy("分配角色"),
    "user.role_remove": gettext_lazy("撤销角色"),
    "user.update": gettext_lazy("修改账户"),
}


def status_label(code) -> str:
    from applications.lifecycle.statuses import status_label as label

    return label(code) if code else ""


def action_label(code) -> str:
    label = _action_labels().get(code)
    return str(label) if label else _("其他操作")


def event_label(code) -> str:
    """An audit event's action: application.<workflow action> or one of EVENT_LABELS."""
    if code in EVENT_LABELS:
        return str(EVENT_LABELS[code])
    action = str(code).removeprefix("application.")
    label = _action_labels().get(action)
    return str(label) if label else _("其他操作")


def event_choices() -> list[tuple[str, str]]:
    """Every known audit action with its label, for the audit log's filter."""
    choices = {f"application.{a}": str(label) for a, label in _action_labels().items()}
    choices |= {code: str(label) for code, label in EVENT_LABELS.items()}
    return sorted(choices.items(), key=lambda item: item[1])
