"""The feedback domain's public face: satisfaction surveys after conversations, their settings and report."""

from __future__ import annotations

from omnicx.feedback.service.charts import (
    csat_by_group_spec,
    distribution_spec,
    survey_distribution_spec,
    survey_trend_spec,
)
from omnicx.feedback.service.csat import (
    ASK_JOB,
    answer,
    answer_as_visitor,
    ask,
    conversation_survey,
    on_resolved,
    take_reply,
    visitor_questions,
)
from omnicx.feedback.service.csat import get_survey as get_csat_survey
from omnicx.feedback.service.links import invitation_of, link_token, response_link, survey_link, survey_of
from omnicx.feedback.service.privacy import erase_customer_data, export_customer_data
from omnicx.feedback.service.reports import csat_report, report_csv
from omnicx.feedback.service.settings import list_settings, update_setting
from omnicx.feedback.service.site import SITE_CHANNEL, answer_on_site, ask_visitor
from omnicx.feedback.service.surveys import (
    SEND_JOB,
    answer_invitation,
    create_survey,
    get_survey,
    invitation_page,
    list_surveys,
    nps_by_channel,
    send_survey,
    send_to,
    show_on_site,
    survey_csv,
    survey_results,
)
from omnicx.feedback.service.wording import RATING_NAMES

__all__ = [
    "ASK_JOB",
    "RATING_NAMES",
    "SEND_JOB",
    "SITE_CHANNEL",
    "answer",
    "answer_as_visitor",
    "answer_invitation",
    "answer_on_site",
    "ask",
    "ask_visitor",
    "conversation_survey",
    "create_survey",
    "csat_by_group_spec",
    "csat_report",
    "distribution_spec",
    "erase_customer_data",
    "export_customer_data",
    "get_csat_survey",
    "get_survey",
    "invitation_of",
    "invitation_page",
    "link_token",
    "list_settings",
    "list_surveys",
    "nps_by_channel",
    "on_resolved",
    "report_csv",
    "response_link",
    "send_survey",
    "send_to",
    "show_on_site",
    "survey_csv",
    "survey_distribution_spec",
    "survey_link",
    "survey_of",
    "survey_results",
    "survey_trend_spec",
    "take_reply",
    "update_setting",
    "visitor_questions",
]
