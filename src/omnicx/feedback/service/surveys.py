"""Surveys sent to chosen customers on the channel they last used: one scored question (NPS, CSAT or CES) in
the language the customer writes in (else the workspace's), answered once through a signed link, with an
optional comment.

Sending is a job (`feedback.send_survey`): the audience is chosen when the job is queued, and each customer is
asked through the inbox's notices (`notify_customer`, exactly once per survey and customer, keyed), unless they
were asked any survey within the survey's throttle. An invitation's link is signed like a satisfaction link
(`links.py`, another purpose), so it cannot be made up for another invitation.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections import Counter, defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicx.auth import service as auth_service
from omnicx.customers import service as customers_service
from omnicx.feedback.enums import FollowUpKind, SurveyKind
from omnicx.feedback.errors import AlreadyAnswered, SurveyNotFound
from omnicx.feedback.models import Survey, SurveyInvitation
from omnicx.feedback.schemas import (
    SCALES,
    FollowUp,
    FollowUpResult,
    SurveyAnswer,
    SurveyAudience,
    SurveyCreate,
    SurveyGroup,
    SurveyPublic,
    SurveyResults,
    SurveySending,
    SurveyVerbatim,
    SurveyWeek,
)
from omnicx.feedback.scores import nps, nps_group
from omnicx.feedback.service.links import survey_link
from omnicx.inbox import service as inbox_service
from omnicx.kernel.access.principal import Principal
from omnicx.kernel.dates import report_bounds
from omnicx.kernel.db import utcnow
from omnicx.kernel.errors import Invalid
from omnicx.kernel.i18n import lazy as N_
from omnicx.kernel.i18n import translations
from omnicx.kernel.jobs import service as jobs_service
from omnicx.tracking import service as tracking_service

SEND_JOB = "feedback.send_survey"
QUESTIONS = {
    SurveyKind.NPS: N_(
        "How likely are you to recommend us to a friend or colleague? (0 = not at all, 10 = very)"
    ),
    SurveyKind.CSAT: N_("How satisfied are you with us? (1 = very dissatisfied, 5 = very satisfied)"),
    SurveyKind.CES: N_("How easy was it to get what you needed from us? (1 = very hard, 7 = very easy)"),
}
ANSWER_HERE = N_("Answer here (one minute):")
VERBATIMS = 30
UNKNOWN = "unknown"  # a customer with no touchpoint: how they first came is not known


def create_survey(session: Session, *, principal: Principal, data: SurveyCreate) -> SurveyPublic:
    survey = Survey(
        workspace_id=principal.workspace_id,
        name=data.name.strip(),
        kind=data.kind.value,
        question=dict(data.question),
        throttle_days=data.throttle_days,
        on_site=data.on_site,
        follow_ups=[question.model_dump(mode="json") for question in data.follow_ups],
    )
    session.add(survey)
    session.flush()
    result = SurveyPublic.model_validate(survey)
    session.commit()
    return result


def list_surveys(session: Session, *, workspace_id: uuid.UUID) -> list[SurveyPublic]:
    rows = session.scalars(
        select(Survey).where(Survey.workspace_id == workspace_id).order_by(Survey.created_at.desc())
    )
    return [SurveyPublic.model_validate(s) for s in rows]


def _load(session: Session, workspace_id: uuid.UUID, survey_id: uuid.UUID) -> Survey:
    survey = session.get(Survey, survey_id)
    if survey is None or survey.workspace_id != workspace_id:
        raise SurveyNotFound("no such survey")
    return survey


def get_survey(session: Session, *, workspace_id: uuid.UUID, survey_id: uuid.UUID) -> SurveyPublic:
    return SurveyPublic.model_validate(_load(session, workspace_id, survey_id))


def show_on_site(
    session: Session, *, principal: Principal, survey_id: uuid.UUID, on_site: bool
) -> SurveyPublic:
    """Show the survey to the visitors of the workspace's sites, or stop; commits. Several may be on at once:
    each visitor is shown the newest they were not asked yet, within the throttle."""
    survey = _load(session, principal.workspace_id, survey_id)
    survey.on_site = on_site
    session.flush()
    result = SurveyPublic.model_validate(survey)
    session.commit()
    return result


def send_survey(
    session: Session, *, principal: Principal, survey_id: uuid.UUID, audience: SurveyAudience
) -> SurveySending:
    """Queue the survey's sending to the audience (its customers chosen now); commits."""
    survey = _load(session, principal.workspace_id, survey_id)
    customers = _audience(session, principal.workspace_id, audience)
    if not customers:
        raise Invalid("nobody matches this audience")
    jobs_service.enqueue(
        session,
        kind=SEND_JOB,
        payload={"survey_id": str(survey.id), "customer_ids": [str(c) for c in customers]},
        workspace_id=principal.workspace_id,
    )
    session.commit()
    return SurveySending(survey_id=survey.id, queued=len(customers))


def _audience(session: Session, workspace_id: uuid.UUID, audience: SurveyAudience) -> list[uuid.UUID]:
    if audience.customer_ids:
        return list(dict.fromkeys(audience.customer_ids))[: audience.limit]
    since = utcnow() - timedelta(days=audience.seen_within_days) if audience.seen_within_days else None
    page = customers_service.list_customers(
        session,
        workspace_id=workspace_id,
        seen_since=since,
        has_email=audience.has_email,
        channel=audience.channel,
        limit=audience.limit,
    )
    return [c.id for c in page.items]


def send_to(
    session: Session,
    *,
    survey_id: uuid.UUID,
    customer_ids: list[uuid.UUID],
    base_url: str,
    secret: str,
    now: datetime | None = None,
) -> int:
    """Ask each customer (the `feedback.send_survey` job); returns how many were asked. A customer asked any
    survey within the throttle, or this one already, or with no channel to reach, is skipped. No commit."""
    survey = session.get(Survey, survey_id)
    if survey is None:
        return 0
    now = now or utcnow()
    asked = 0
    for customer_id in customer_ids:
        if recently_asked(session, survey, customer_id, now):
            continue
        asked += _invite(session, survey, customer_id, base_url, secret, now)
    return asked


def recently_asked(session: Session, survey: Survey, customer_id: uuid.UUID, now: datetime) -> bool:
    """Whether the customer was ever asked this survey, or any survey within its throttle."""
    since = now - timedelta(days=survey.throttle_days)
    conditions = [
        SurveyInvitation.workspace_id == survey.workspace_id,
        SurveyInvitation.customer_id == customer_id,
    ]
    this_one = session.scalar(
        select(SurveyInvitation.id).where(*conditions, SurveyInvitation.survey_id == survey.id)
    )
    lately = session.scalar(
        select(SurveyInvitation.id).where(*conditions, SurveyInvitation.sent_at > since).limit(1)
    )
    return this_one is not None or (survey.throttle_days > 0 and lately is not None)


def _invite(
    session: Session, survey: Survey, customer_id: uuid.UUID, base_url: str, secret: str, now: datetime
) -> int:
    invitation = SurveyInvitation(
        id=uuid.uuid5(survey.id, str(customer_id)),  # the same customer, the same invitation (and link)
        workspace_id=survey.workspace_id,
        survey_id=survey.id,
        customer_id=customer_id,
        sent_at=now,
    )
    try:
        with session.begin_nested():
            session.add(invitation)
    except IntegrityError:
        return 0  # asked by a concurrent run of the job
    default = auth_service.get_workspace(session, workspace_id=survey.workspace_id).default_language
    language = inbox_service.customer_language(
        session, workspace_id=survey.workspace_id, customer_id=customer_id, default=default
    )
    text = question_of(survey, language) + "\n\n" + translations(language).gettext(ANSWER_HERE) + "\n"
    text += survey_link(base_url, secret, invitation.id)
    notice = inbox_service.notify_customer(
        session,
        workspace_id=survey.workspace_id,
        customer_id=customer_id,
        subject=survey.name,
        text=text,
        key=f"survey:{survey.id}:{customer_id}",
        now=now,
    )
    if notice is None:
        session.delete(invitation)  # nobody to reach: not asked, so not throttled either
        return 0
    invitation.channel = notice.channel.value
    invitation.conversation_id = notice.conversation_id
    invitation.language = language
    return 1


def question_of(survey: Survey, language: str) -> str:
    """The survey's question in `language`: the workspace's wording, else omnicx's."""
    return survey.question.get(language) or translations(language).gettext(QUESTIONS[SurveyKind(survey.kind)])


def invitation_page(session: Session, *, invitation_id: uuid.UUID) -> tuple[SurveyPublic, int | None, str]:
    """The survey an invitation asks, its answer so far (None: unanswered) and its language: the answer page."""
    invitation = session.get(SurveyInvitation, invitation_id)
    if invitation is None:
        raise SurveyNotFound("no such survey")
    survey = session.get(Survey, invitation.survey_id)
    assert survey is not None
    return SurveyPublic.model_validate(survey), invitation.score, invitation.language


def answer_invitation(
    session: Session, *, invitation_id: uuid.UUID, data: SurveyAnswer, now: datetime | None = None
) -> None:
    """Store an invitation's answer, once (`AlreadyAnswered` after); commits."""
    invitation = session.scalar(
        select(SurveyInvitation).where(SurveyInvitation.id == invitation_id).with_for_update()
    )
    if invitation is None:
        raise SurveyNotFound("no such survey")
    if invitation.answered_at is not None:
        raise AlreadyAnswered("this survey was already answered; thank you")
    survey = session.get(Survey, invitation.survey_id)
    assert survey is not None
    low, high = SCALES[SurveyKind(survey.kind)]
    if not low <= data.score <= high:
        raise Invalid(f"the answer is a number from {low} to {high}")
    invitation.score = data.score
    invitation.comment = data.comment.strip()
    invitation.follow_up_answers = _follow_up_answers(survey, data.follow_ups)
    if invitation.comment:
        invitation.sentiment = round(
            inbox_service.score_sentiment(invitation.comment, language=invitation.language).compound, 3
        )
    invitation.answered_at = now or utcnow()
    session.commit()


def _follow_up_answers(survey: Survey, answers: list[str]) -> list[str]:
    """The answers to the survey's follow-up questions, in order ("" when skipped); a choice must be one of its
    options, as written."""
    questions = [FollowUp.model_validate(q) for q in survey.follow_ups]
    if len(answers) > len(questions):
        raise Invalid("more answers than the survey has questions")
    given = [a.strip() for a in answers] + [""] * (len(questions) - len(answers))
    for question, answer in zip(questions, given, strict=True):
        if question.kind is FollowUpKind.CHOICE and answer and answer not in question.options:
            raise Invalid(f"{answer!r} is not an option of {question.prompt!r}")
    return given


def _follow_up_results(session: Session, survey: Survey) -> list[FollowUpResult]:
    """Per follow-up question: answers per option, or the latest texts."""
    rows = session.scalars(
        select(SurveyInvitation.follow_up_answers)
        .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.answered_at.is_not(None))
        .order_by(SurveyInvitation.answered_at.desc())
    ).all()
    results = []
    for number, raw in enumerate(survey.follow_ups):
        question = FollowUp.model_validate(raw)
        given = [str(row[number]) for row in rows if len(row) > number and row[number]]
        if question.kind is FollowUpKind.CHOICE:
            counts = Counter(given)
            options = {option: counts[option] for option in question.options}
            results.append(
                FollowUpResult(
                    kind=question.kind, prompt=question.prompt, answered=len(given), options=options
                )
            )
        else:
            results.append(
                FollowUpResult(
                    kind=question.kind, prompt=question.prompt, answered=len(given), texts=given[:VERBATIMS]
                )
            )
    return results


def survey_results(session: Session, *, workspace_id: uuid.UUID, survey_id: uuid.UUID) -> SurveyResults:
    """The survey's score with its 95% interval (NPS: adjusted Wald; CSAT and CES: the mean), per channel and
    per week, the spread of scores and the latest comments with their sentiment."""
    survey = _load(session, workspace_id, survey_id)
    kind = SurveyKind(survey.kind)
    invited_by_channel = dict(
        session.execute(
            select(SurveyInvitation.channel, func.count())
            .where(SurveyInvitation.survey_id == survey.id)
            .group_by(SurveyInvitation.channel)
        ).all()
    )
    answers: list[tuple[str, int, datetime, uuid.UUID | None]] = [
        (channel, score, answered_at, customer_id)
        for channel, score, answered_at, customer_id in session.execute(
            select(
                SurveyInvitation.channel,
                SurveyInvitation.score,
                SurveyInvitation.answered_at,
                SurveyInvitation.customer_id,
            ).where(
                SurveyInvitation.survey_id == survey.id,
                SurveyInvitation.answered_at.is_not(None),
                SurveyInvitation.score.is_not(None),
            )
        )
        if score is not None and answered_at is not None
    ]
    scores_by_channel: dict[str, list[int]] = defaultdict(list)
    weekly: dict[date, list[int]] = defaultdict(list)
    for channel, score, answered_at, _ in answers:
        scores_by_channel[channel].append(score)
        day = answered_at.date()
        weekly[day - timedelta(days=day.weekday())].append(score)
    every = [score for _, score, _, _ in answers]
    groups = Counter(nps_group(s) for s in every) if kind is SurveyKind.NPS else Counter[str]()
    verbatims = session.execute(
        select(SurveyInvitation)
        .where(SurveyInvitation.survey_id == survey.id, SurveyInvitation.comment != "")
        .order_by(SurveyInvitation.answered_at.desc())
        .limit(VERBATIMS)
    ).scalars()
    return SurveyResults(
        survey=SurveyPublic.model_validate(survey),
        total=_group(kind, "", sum(invited_by_channel.values()), every),
        promoters=groups["promoter"],
        passives=groups["passive"],
        detractors=groups["detractor"],
        distribution={s: every.count(s) for s in range(SCALES[kind][0], SCALES[kind][1] + 1)},
        by_channel=[
            _group(kind, channel, invited, scores_by_channel.get(channel, []))
            for channel, invited in sorted(invited_by_channel.items())
        ],
        follow_ups=_follow_up_results(session, survey),
        by_first_touch=_by_first_touch(session, survey, kind, [(s, c) for _, s, _, c in answers]),
        by_customer_group=_by_customer_group(session, survey, kind, [(s, c) for _, s, _, c in answers]),
        weekly=[
            SurveyWeek(week=week, answered=len(s), score=_group(kind, "", len(s), s).score)
            for week, s in sorted(weekly.items())
        ],
        verbatims=[
            SurveyVerbatim(
                score=v.score or 0,
                comment=v.comment,
                sentiment=v.sentiment,
                channel=v.channel,
                answered_at=v.answered_at or v.sent_at,
            )
            for v in verbatims
        ],
    )


def _invited(session: Session, survey: Survey) -> list[uuid.UUID | None]:
    return list(
        session.scalars(select(SurveyInvitation.customer_id).where(SurveyInvitation.survey_id == survey.id))
    )


def _by_first_touch(
    session: Session, survey: Survey, kind: SurveyKind, answers: list[tuple[int, uuid.UUID | None]]
) -> list[SurveyGroup]:
    """The answers grouped by how each customer first came (their first-touch channel)."""
    invited = _invited(session, survey)
    known = {c for c in invited if c is not None}
    first = tracking_service.first_touch_channels(session, survey.workspace_id, known)
    return _breakdown(kind, invited, answers, first)


def _by_customer_group(
    session: Session, survey: Survey, kind: SurveyKind, answers: list[tuple[int, uuid.UUID | None]]
) -> list[SurveyGroup]:
    """The answers grouped by customer group, as the first grouping another domain offers splits them (what
    they bought, with commerce); none without one."""
    groupings = customers_service.customer_groupings()
    if not groupings:
        return []
    grouping = groupings[0]
    invited = _invited(session, survey)
    known = {c for c in invited if c is not None}
    groups = grouping.groups_of(session, survey.workspace_id, known)
    found = _breakdown(kind, invited, answers, groups)
    return [g.model_copy(update={"label": grouping.labels.get(g.key, "")}) for g in found]


def _breakdown(
    kind: SurveyKind,
    invited: list[uuid.UUID | None],
    answers: list[tuple[int, uuid.UUID | None]],
    key_of: Mapping[uuid.UUID, str],
) -> list[SurveyGroup]:
    """The answers grouped by each customer's key (`unknown` without one), largest group first; `invited`
    counts every invitation of the group's customers."""
    asked = Counter(key_of.get(c, UNKNOWN) if c else UNKNOWN for c in invited)
    scores: dict[str, list[int]] = defaultdict(list)
    for score, customer_id in answers:
        scores[key_of.get(customer_id, UNKNOWN) if customer_id else UNKNOWN].append(score)
    groups = [_group(kind, key, count, scores.get(key, [])) for key, count in asked.items()]
    return sorted(groups, key=lambda g: (-g.answered, -g.invited, g.key))


def _group(kind: SurveyKind, key: str, invited: int, scores: list[int]) -> SurveyGroup:
    if not scores:
        return SurveyGroup(key=key, invited=invited, answered=0, score=None)
    if kind is SurveyKind.NPS:
        groups = Counter(nps_group(s) for s in scores)
        found = nps(groups["promoter"], groups["passive"], groups["detractor"])
        assert found is not None
        return SurveyGroup(
            key=key,
            invited=invited,
            answered=len(scores),
            score=round(found.estimate, 1),
            low=round(found.low, 1),
            high=round(found.high, 1),
        )
    return SurveyGroup(
        key=key, invited=invited, answered=len(scores), score=round(sum(scores) / len(scores), 2)
    )


def survey_csv(results: SurveyResults) -> str:
    """One line per channel asked on, per first-touch channel, per customer group, then the total: asked,
    answers, score and its interval."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["breakdown", "key", "asked", "answered", "score", "low", "high"])
    lines = [
        *(("channel", group) for group in results.by_channel),
        *(("first_touch", group) for group in results.by_first_touch),
        *(("customer_group", group) for group in results.by_customer_group),
        ("total", results.total.model_copy(update={"key": "total"})),
    ]
    for breakdown, group in lines:
        writer.writerow(
            [breakdown, group.key, group.invited, group.answered, group.score, group.low, group.high]
        )
    return buffer.getvalue()


def nps_by_channel(
    session: Session, *, workspace_id: uuid.UUID, start: date, end: date
) -> dict[str, tuple[float, int]]:
    """Per channel the invitation went out on: the NPS (-100 to 100) of the NPS answers given from `start` to
    `end` (inclusive, the workspace's days) across the workspace's NPS surveys, and how many answers."""
    tz = auth_service.get_workspace(session, workspace_id=workspace_id).timezone
    lower, upper = report_bounds(start, end, tz, max_days=731, refuse=Invalid)
    rows = session.execute(
        select(SurveyInvitation.channel, SurveyInvitation.score)
        .join(Survey, Survey.id == SurveyInvitation.survey_id)
        .where(
            SurveyInvitation.workspace_id == workspace_id,
            Survey.kind == SurveyKind.NPS,
            SurveyInvitation.score.is_not(None),
            SurveyInvitation.answered_at >= lower,
            SurveyInvitation.answered_at < upper,
        )
    ).all()
    groups: dict[str, Counter[str]] = defaultdict(Counter)
    for channel, score in rows:
        if score is not None:
            groups[channel][nps_group(score)] += 1
    result = {}
    for channel, counts in groups.items():
        interval = nps(counts["promoter"], counts["passive"], counts["detractor"])
        if interval is not None:
            result[channel] = (interval.estimate, interval.n)
    return result
