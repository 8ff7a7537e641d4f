"""A workspace's own channel rules: ordered, tried before GA4's default channel group."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.kernel.access.principal import Principal
from omnicx.tracking.channel_grouping import Condition, Op, Rule, Traffic, classify, custom_rule, valid_regex
from omnicx.tracking.errors import ChannelRuleNotFound, InvalidChannelRule
from omnicx.tracking.models import ChannelRule
from omnicx.tracking.schemas import ChannelRuleCreate, ChannelRulePublic, ClassifyResult, RuleCondition


def _ordered(session: Session, workspace_id: uuid.UUID) -> list[ChannelRule]:
    return list(
        session.scalars(
            select(ChannelRule)
            .where(ChannelRule.workspace_id == workspace_id)
            .order_by(ChannelRule.position, ChannelRule.created_at)
        )
    )


def _renumber(rules: list[ChannelRule]) -> None:
    for position, rule in enumerate(rules):
        rule.position = position


def list_rules(session: Session, *, workspace_id: uuid.UUID) -> list[ChannelRulePublic]:
    return [ChannelRulePublic.model_validate(r) for r in _ordered(session, workspace_id)]


def _as_rule(row: ChannelRule) -> Rule:
    conditions = [RuleCondition.model_validate(c) for c in row.conditions]
    return custom_rule(row.channel, [Condition(c.field, c.op, c.value) for c in conditions])


def load_rules(session: Session, *, workspace_id: uuid.UUID) -> list[Rule]:
    """The workspace's rules as the pure classifier takes them, in order."""
    return [_as_rule(r) for r in _ordered(session, workspace_id)]


def _check(data: ChannelRuleCreate) -> None:
    for condition in data.conditions:
        if condition.op is Op.REGEX and not valid_regex(condition.value):
            raise InvalidChannelRule(f"{condition.value!r} is not a valid regular expression")


def create_rule(
    session: Session, *, workspace_id: uuid.UUID, data: ChannelRuleCreate, principal: Principal | None = None
) -> ChannelRulePublic:
    """Add a rule at `data.position` (default: after the others). Commits."""
    _check(data)
    rules = _ordered(session, workspace_id)
    rule = ChannelRule(
        workspace_id=workspace_id,
        position=0,
        channel=data.channel,
        conditions=[c.model_dump(mode="json") for c in data.conditions],
    )
    position = len(rules) if data.position is None else min(data.position, len(rules))
    rules.insert(position, rule)
    _renumber(rules)
    session.add(rule)
    session.flush()
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        actor_label="" if principal else "cli",
        action="channel_rule.created",
        target_type="channel_rule",
        target_id=str(rule.id),
        detail={"channel": data.channel},
    )
    session.commit()
    return ChannelRulePublic.model_validate(rule)


def _load(session: Session, workspace_id: uuid.UUID, rule_id: uuid.UUID) -> ChannelRule:
    rule = session.scalar(
        select(ChannelRule).where(ChannelRule.id == rule_id, ChannelRule.workspace_id == workspace_id)
    )
    if rule is None:
        raise ChannelRuleNotFound(f"channel rule {rule_id} not found")
    return rule


def move_rule(
    session: Session, *, workspace_id: uuid.UUID, rule_id: uuid.UUID, position: int
) -> list[ChannelRulePublic]:
    """Move a rule to `position` (0 is tried first). Commits; returns the new order."""
    rule = _load(session, workspace_id, rule_id)
    rules = [r for r in _ordered(session, workspace_id) if r.id != rule.id]
    rules.insert(min(max(position, 0), len(rules)), rule)
    _renumber(rules)
    session.commit()
    return [ChannelRulePublic.model_validate(r) for r in rules]


def delete_rule(
    session: Session, *, workspace_id: uuid.UUID, rule_id: uuid.UUID, principal: Principal | None = None
) -> None:
    rule = _load(session, workspace_id, rule_id)
    session.delete(rule)
    session.flush()
    _renumber(_ordered(session, workspace_id))
    auth_service.record_audit(
        session,
        workspace_id=workspace_id,
        principal=principal,
        action="channel_rule.deleted",
        target_type="channel_rule",
        target_id=str(rule_id),
        detail={"channel": rule.channel},
    )
    session.commit()


def classify_traffic(
    session: Session, *, workspace_id: uuid.UUID, source: str, medium: str, campaign: str
) -> ClassifyResult:
    """The channel of a source/medium/campaign in this workspace, and whether a custom rule decided."""
    rules = load_rules(session, workspace_id=workspace_id)
    traffic = Traffic(source, medium, campaign)
    custom = classify(traffic, rules)
    default = classify(traffic)
    matched_custom = any(r.matches(traffic) for r in rules)
    return ClassifyResult(
        channel=custom if matched_custom else default, rule="custom" if matched_custom else "default"
    )
