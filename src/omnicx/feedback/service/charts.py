"""Charts of the CSAT report (Vega-Lite through Altair): CSAT per group, and how answers spread over ratings."""

from __future__ import annotations

from typing import Any

import altair as alt

from omnicx.feedback.enums import SurveyKind
from omnicx.feedback.schemas import CsatReport, SurveyResults
from omnicx.feedback.scores import nps_group
from omnicx.feedback.service.wording import RATING_NAMES
from omnicx.kernel.charts import empty_chart
from omnicx.kernel.i18n import gettext


def csat_by_group_spec(report: CsatReport, labels: dict[str, str] | None = None) -> dict[str, Any]:
    """CSAT (share of 4 and 5) per group, one bar each, with the number of answers in the tooltip."""
    names = labels or {}
    values = [
        {"group": names.get(row.key, row.label or row.key or "—"), "csat": row.csat, "answers": row.answered}
        for row in report.rows
        if row.csat is not None
    ]
    if not values:
        return empty_chart(gettext("No answers in this range."))
    csat, answers = gettext("CSAT"), gettext("Answers")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            y=alt.Y("group:N", title=None, sort="-x"),
            x=alt.X("csat:Q", title=csat, axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            tooltip=[
                alt.Tooltip("group:N", title=gettext("Group")),
                alt.Tooltip("csat:Q", title=csat, format=".0%"),
                alt.Tooltip("answers:Q", title=answers),
            ],
        )
        .properties(width="container", height=max(120, 32 * len(values)))
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def distribution_spec(report: CsatReport) -> dict[str, Any]:
    """Answers per rating, 1 to 5, each bar named (very dissatisfied ... very satisfied)."""
    if not any(report.distribution.values()):
        return empty_chart(gettext("No answers in this range."))
    values = [
        {"rating": f"{r} – {gettext(RATING_NAMES[r])}", "order": r, "answers": n}
        for r, n in sorted(report.distribution.items())
    ]
    answers = gettext("Answers")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("rating:N", title=None, sort=alt.EncodingSortField("order"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("answers:Q", title=answers),
            color=alt.Color(
                "order:O", legend=None, scale=alt.Scale(scheme="redyellowgreen", domain=[1, 2, 3, 4, 5])
            ),
            tooltip=[
                alt.Tooltip("rating:N", title=gettext("Rating")),
                alt.Tooltip("answers:Q", title=answers),
            ],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


NPS_COLOURS = ("#d6604d", "#f4a742", "#4dac26")


def survey_distribution_spec(results: SurveyResults) -> dict[str, Any]:
    """Answers per score; for an NPS, each bar coloured by group (detractor, passive, promoter)."""
    if not any(results.distribution.values()):
        return empty_chart(gettext("No answers yet."))
    nps_kind = results.survey.kind is SurveyKind.NPS
    groups = {
        "detractor": gettext("Detractors"),
        "passive": gettext("Passives"),
        "promoter": gettext("Promoters"),
    }
    values = [
        {
            "score": score,
            "answers": count,
            "group": groups[nps_group(score)] if nps_kind else gettext("Answers"),
        }
        for score, count in sorted(results.distribution.items())
    ]
    answers = gettext("Answers")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_bar()
        .encode(
            x=alt.X("score:O", title=gettext("Score"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("answers:Q", title=answers),
            color=alt.Color(
                "group:N",
                title=None,
                # The colours say the groups in every language: red detractors, amber passives, green promoters.
                scale=alt.Scale(
                    domain=[groups["detractor"], groups["passive"], groups["promoter"]],
                    range=list(NPS_COLOURS),
                )
                if nps_kind
                else alt.Undefined,
                legend=alt.Legend(orient="bottom") if nps_kind else None,
            ),
            tooltip=[alt.Tooltip("score:O", title=gettext("Score")), alt.Tooltip("answers:Q", title=answers)],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec


def survey_trend_spec(results: SurveyResults) -> dict[str, Any]:
    """The score week by week (NPS, or the average score), with the answers of each week in the tooltip."""
    values = [
        {"week": w.week.isoformat(), "score": w.score, "answers": w.answered}
        for w in results.weekly
        if w.score is not None
    ]
    if not values:
        return empty_chart(gettext("No answers yet."))
    score = gettext("NPS") if results.survey.kind is SurveyKind.NPS else gettext("Average score")
    chart = (
        alt.Chart(alt.InlineData(values=values))
        .mark_line(point=True)
        .encode(
            x=alt.X("week:O", title=gettext("Week of"), axis=alt.Axis(labelAngle=0)),
            y=alt.Y("score:Q", title=score),
            tooltip=[
                alt.Tooltip("week:O", title=gettext("Week of")),
                alt.Tooltip("score:Q", title=score),
                alt.Tooltip("answers:Q", title=gettext("Answers")),
            ],
        )
        .properties(width="container", height=220)
    )
    spec: dict[str, Any] = chart.to_dict()
    return spec
