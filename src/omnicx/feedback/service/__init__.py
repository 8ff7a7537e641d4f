"""The feedback domain's public face: satisfaction surveys after conversations, their settings and report."""

from __future__ import annotations

from omnicx.feedback.service.charts import csat_by_group_spec, distribution_spec
from omnicx.feedback.service.csat import (
    ASK_JOB,
    answer,
    answer_as_visitor,
    ask,
    conversation_survey,
    get_survey,
    on_resolved,
    take_reply,
    visitor_questions,
)
from omnicx.feedback.service.links import link_token, response_link, survey_of
from omnicx.feedback.service.privacy import erase_customer_data, export_customer_data
from omnicx.feedback.service.reports import csat_report, report_csv
from omnicx.feedback.service.settings import list_settings, update_setting
from omnicx.feedback.service.wording import RATING_NAMES

__all__ = [
    "ASK_JOB",
    "RATING_NAMES",
    "answer",
    "answer_as_visitor",
    "ask",
    "conversation_survey",
    "csat_by_group_spec",
    "csat_report",
    "distribution_spec",
    "erase_customer_data",
    "export_customer_data",
    "get_survey",
    "link_token",
    "list_settings",
    "on_resolved",
    "report_csv",
    "response_link",
    "survey_of",
    "take_reply",
    "update_setting",
    "visitor_questions",
]
