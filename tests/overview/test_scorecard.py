"""The CX scorecard equals the reports it reads on the demo's world, flags each metric against the workspace's
benchmark (defaults with their source, editable), compares with the period before, and exports CSV."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pypdfium2 as pdfium
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from omnicx.app.cli import app as cli_app
from omnicx.attribution import service as attribution_service
from omnicx.attribution.schemas import Model, ReportQuery, StageKey
from omnicx.commerce import service as commerce_service
from omnicx.commerce.enums import LocationKind
from omnicx.demo.providers import RunningProviders
from omnicx.feedback import service as feedback_service
from omnicx.feedback.enums import CsatGroup
from omnicx.feedback.schemas import SiteSurveyAnswer, SiteVisitor, SurveyCreate
from omnicx.inbox import service as inbox_service
from omnicx.inbox.enums import MessagingChannel
from omnicx.kernel.access.permissions import Role
from omnicx.kernel.printing import PrintingUnavailable, html_to_pdf
from omnicx.kernel.runtime import Runtime
from omnicx.overview import service
from omnicx.overview.schemas import BenchmarkUpdate, Flag, ScoreMetric, TouchpointKind
from tests.conftest import SECRET_KEY, World
from tests.demo.conftest import demo_providers
from tests.demo.test_world import MICRO, NOW, seed

__all__ = ["demo_providers"]

M = ScoreMetric


def approx(value: float | None) -> object:
    return None if value is None else pytest.approx(value, rel=1e-12)


END = NOW.date()
START = END - timedelta(days=MICRO.days - 1)


def test_the_scorecard_equals_the_reports_it_reads_on_the_demo(
    runtime: Runtime, db: Session, demo_providers: RunningProviders
) -> None:
    workspace_id, _summary = seed(runtime, demo_providers, size=MICRO)
    ws = workspace_id
    card = service.scorecard(db, workspace_id=ws, start=START, end=END)  # type: ignore[arg-type]
    rows = {row.key: row for row in card.rows}
    inbox = inbox_service.report(db, workspace_id=ws, start=START, end=END)  # type: ignore[arg-type]
    csat = feedback_service.csat_report(db, workspace_id=ws, start=START, end=END, group=CsatGroup.CHANNEL)  # type: ignore[arg-type]
    sales = commerce_service.sales_report(db, workspace_id=ws, start=START, end=END)  # type: ignore[arg-type]
    credited = attribution_service.report(
        db,
        workspace_id=ws,
        query=ReportQuery(date_from=START, date_to=END, model=Model.LINEAR),  # type: ignore[arg-type]
    )
    stores = [
        loc for loc in commerce_service.list_locations(db, workspace_id=ws) if loc.kind is LocationKind.STORE
    ]  # type: ignore[arg-type]
    db.rollback()
    assert card.currency == commerce_service.main_currency(sales)
    assert [r.kind for r in card.rows][:2] == [TouchpointKind.WEB, TouchpointKind.APP]
    # Inbox channels: every channel of the inbox report, with its numbers.
    assert {k for k in rows if k.startswith("inbox:")} == {f"inbox:{r.key}" for r in inbox.by_channel}
    assert len(inbox.by_channel) >= 3
    satisfaction = {r.key: r.csat for r in csat.rows}
    promoting = feedback_service.nps_by_channel(db, workspace_id=ws, start=START, end=END)  # type: ignore[arg-type]
    feeling = inbox_service.sentiment_by_channel(db, workspace_id=ws, start=START, end=END)  # type: ignore[arg-type]
    db.rollback()
    credit = {r.channel: r.stages[StageKey.SALE] for r in credited.channels}
    for report_row in inbox.by_channel:
        cells = rows[f"inbox:{report_row.key}"].cells
        assert cells[M.VOLUME].value == report_row.conversations
        assert cells[M.CUSTOMERS].value == report_row.customers > 0
        # (the engine may add in another order from one run to the next: equal to the last digit or two)
        assert cells[M.FIRST_RESPONSE].value == approx(report_row.first_response_median_seconds)
        assert cells[M.RESOLUTION].value == approx(report_row.resolution_median_seconds)
        assert cells[M.SLA].value == approx(report_row.sla_hit_rate)
        assert cells[M.CSAT].value == approx(satisfaction.get(report_row.key))
        assert cells[M.NPS].value == approx(
            promoting[report_row.key][0] if report_row.key in promoting else None
        )
        assert cells[M.SENTIMENT].value == approx(
            feeling[report_row.key][0] if report_row.key in feeling else None
        )
        name = str(inbox_service.CHANNEL_LABELS[MessagingChannel(report_row.key)])
        assert cells[M.CONVERSIONS].value == approx(credit[name].model if name in credit else 0.0)
        assert cells[M.REVENUE].value == approx(credit[name].value_model if name in credit else 0.0)
    assert any(rows[f"inbox:{r.key}"].cells[M.CSAT].value is not None for r in inbox.by_channel)
    assert any(rows[f"inbox:{r.key}"].cells[M.SENTIMENT].value is not None for r in inbox.by_channel)
    # Website, app and stores: the sales report's orders there, in the main currency.
    for key, rows_of, report_key in [
        ("web", sales.by_channel, "web"),
        ("app", sales.by_channel, "app"),
        *[(f"store:{s.id}", sales.by_location, str(s.id)) for s in stores],
    ]:
        match = [r for r in rows_of if r.key == report_key and r.currency == card.currency]
        cells = rows[key].cells
        orders = match[0].orders if match else 0
        assert cells[M.VOLUME].value == cells[M.CONVERSIONS].value == orders
        assert cells[M.CUSTOMERS].value == (match[0].customers if match else 0)
        revenue = float(commerce_service.major_units(match[0].revenue_minor, card.currency)) if match else 0.0  # type: ignore[arg-type]
        assert cells[M.REVENUE].value == pytest.approx(revenue)
    assert sum(rows[f"store:{s.id}"].cells[M.VOLUME].value or 0 for s in stores) > 0
    assert (rows["web"].cells[M.VOLUME].value or 0) > 0
    # The website's NPS is that of the surveys shown on the site (the demo shows a CES there: none in the NPS).
    assert rows["web"].cells[M.NPS].value == approx(promoting["web"][0] if "web" in promoting else None)


def test_flags_follow_the_benchmark_and_the_trend_the_period_before(db: Session, world: World) -> None:
    ws = world.workspace.id
    defaults = {b.metric: b for b in service.benchmarks(db, workspace_id=ws)}
    assert defaults[M.FIRST_RESPONSE].value == 7200 and "two hours" in defaults[M.FIRST_RESPONSE].source
    assert defaults[M.VOLUME].value is None and not defaults[M.CSAT].custom
    card = service.scorecard(db, workspace_id=ws, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert (card.previous_start, card.previous_end) == (date(2026, 10, 2), date(2026, 10, 31))
    web = next(r for r in card.rows if r.key == "web").cells[M.VOLUME]
    assert (web.value, web.previous, web.change, web.flag) == (0.0, 0.0, 0.0, None)  # no target: no flag
    after = service.set_benchmark(db, workspace_id=ws, metric=M.VOLUME, data=BenchmarkUpdate(value=1))
    assert next(b for b in after if b.metric is M.VOLUME).custom
    card = service.scorecard(db, workspace_id=ws, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert next(r for r in card.rows if r.key == "web").cells[M.VOLUME].flag is Flag.WEAKNESS  # 0 < 1
    service.set_benchmark(db, workspace_id=ws, metric=M.VOLUME, data=BenchmarkUpdate(value=0))
    card = service.scorecard(db, workspace_id=ws, start=date(2026, 11, 1), end=date(2026, 11, 30))
    assert next(r for r in card.rows if r.key == "web").cells[M.VOLUME].flag is Flag.STRENGTH  # 0 >= 0
    restored = service.set_benchmark(db, workspace_id=ws, metric=M.VOLUME, data=BenchmarkUpdate(value=None))
    assert next(b for b in restored if b.metric is M.VOLUME).value is None
    db.rollback()


def test_the_websites_nps_is_that_of_the_surveys_shown_on_the_site(db: Session, world: World) -> None:
    """Three visitors answer the NPS shown on the site: 10, 9 and 2 (two promoters, one detractor: NPS 33.3)."""
    ws = world.workspace.id
    owner = world.members[Role.OWNER].principal
    feedback_service.create_survey(db, principal=owner, data=SurveyCreate(name="Site NPS", on_site=True))
    at = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
    for device, score in (("d-1", 10), ("d-2", 9), ("d-3", 2)):
        visitor = SiteVisitor(anonymous_id=device)
        question = feedback_service.ask_visitor(
            db, workspace_id=ws, visitor=visitor, secret=SECRET_KEY, now=at
        )
        assert question is not None
        answer = SiteSurveyAnswer(token=question.token, score=score)
        feedback_service.answer_on_site(db, workspace_id=ws, data=answer, secret=SECRET_KEY, now=at)
    card = service.scorecard(db, workspace_id=ws, start=date(2026, 11, 1), end=date(2026, 11, 30))
    db.rollback()
    web = next(r for r in card.rows if r.key == "web").cells[M.NPS]
    assert web.value == pytest.approx(100 * (2 - 1) / 3, abs=0.1) and web.previous is None


def test_the_api_page_csv_and_cli_by_role(
    client: TestClient, db: Session, world: World, cli_env: dict[str, str]
) -> None:
    query = "date_from=2026-11-01&date_to=2026-11-30"
    assert (
        client.get(f"/api/v1/overview/scorecard?{query}", headers=world.token(Role.VIEWER)).status_code == 403
    )
    card = client.get(f"/api/v1/overview/scorecard?{query}", headers=world.token(Role.ANALYST))
    assert card.status_code == 200 and [r["key"] for r in card.json()["rows"]][:2] == ["web", "app"]
    bad = client.get(
        "/api/v1/overview/scorecard?date_from=2026-11-30&date_to=2026-11-01",
        headers=world.token(Role.ANALYST),
    )
    assert bad.status_code == 422 and "code" in bad.json()
    too_early = client.get(
        "/api/v1/overview/scorecard?date_from=2000-01-01&date_to=2000-01-05",
        headers=world.token(Role.ANALYST),
    )
    assert too_early.status_code == 422 and "period before" in too_early.json()["message"]
    exported = client.get(f"/api/v1/overview/scorecard.csv?{query}", headers=world.token(Role.ANALYST))
    header, *lines = list(csv.reader(io.StringIO(exported.text)))
    assert header[:4] == ["touchpoint", "kind", "label", "volume"] and lines[0][0] == "web"
    refused = client.put(
        "/api/v1/overview/benchmarks/csat", json={"value": 0.9}, headers=world.token(Role.ANALYST)
    )
    assert refused.status_code == 403
    changed = client.put(
        "/api/v1/overview/benchmarks/csat", json={"value": 0.9}, headers=world.token(Role.ADMIN)
    )
    assert (
        changed.status_code == 200
        and {"metric": "csat", "value": 0.9, "custom": True}.items()
        <= next(b for b in changed.json() if b["metric"] == "csat").items()
    )
    page = client.get(f"/overview/scorecard?{query}", headers=world.token(Role.OWNER))
    assert page.status_code == 200 and 'data-touchpoint="web"' in page.text and 'id="benchmarks"' in page.text
    printed = CliRunner().invoke(
        cli_app,
        [
            "scorecard",
            "show",
            "-w",
            world.workspace.slug,
            "--from",
            "2026-11-01",
            "--to",
            "2026-11-30",
            "-f",
            "csv",
        ],
        env=cli_env,
    )
    assert printed.exit_code == 0, printed.output
    assert printed.output.splitlines()[0].startswith("touchpoint,kind,label,volume")


def test_the_pdf_report_opens_and_its_pages_render(client: TestClient, world: World, tmp_path: Path) -> None:
    query = "date_from=2026-11-01&date_to=2026-11-30"
    response = client.get(f"/api/v1/overview/scorecard.pdf?{query}", headers=world.token(Role.ANALYST))
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf" and response.content.startswith(b"%PDF")
    document = pdfium.PdfDocument(response.content)
    assert len(document) >= 2  # the table and benchmarks, then the charts
    text = "".join(document[i].get_textpage().get_text_range() for i in range(len(document)))
    for expected in ("CX scorecard", world.workspace.name, "Website", "Benchmarks", "two hours"):
        assert expected in text, expected
    for number in range(len(document)):
        image = document[number].render(scale=1).to_pil().convert("L")
        image.save(tmp_path / f"scorecard-{number}.png")
        dark = sum(1 for value in image.tobytes() if value < 128)
        assert dark > 500, f"page {number} is blank"  # it drew text and lines, not an empty sheet
    assert (
        client.get(f"/api/v1/overview/scorecard.pdf?{query}", headers=world.token(Role.VIEWER)).status_code
        == 403
    )


def test_without_a_browser_the_pdf_says_so() -> None:
    with pytest.raises(PrintingUnavailable, match="no Chromium"):
        html_to_pdf("<p>report</p>", chromium="/nowhere/chromium")
