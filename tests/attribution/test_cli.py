"""`omnicx attribution paths`, mounted the way the root CLI mounts it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import duckdb
import pytest
import typer
from typer.testing import CliRunner

from omnicx.attribution import cli
from omnicx.attribution.engine import Model

HEADER = "path;total_conversions;total_conversion_value;total_null\n"
TEXTBOOK = HEADER + "google_ads;2;20;0\nmailing;1;10;0\ngoogle_ads > mailing;1;10;0\ngoogle_ads;0;0;1\n"

root = typer.Typer()
root.add_typer(cli.app, name="attribution")
runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(root, ["attribution", "paths", *args])
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def textbook(tmp_path: Path) -> Path:
    file = tmp_path / "paths.csv"
    file.write_text(TEXTBOOK)
    return file


def test_markov_json_has_channels_removal_effects_and_totals(textbook: Path) -> None:
    code, out, _ = run(str(textbook), "--model", "markov", "--format", "json")

    assert code == 0
    data = json.loads(out)
    assert data["model"] == "markov"
    assert data["channels"]["google_ads"]["conversions"] == pytest.approx(2.4)
    assert data["channels"]["mailing"]["removal_effect"] == pytest.approx(0.5)
    assert data["channels"]["mailing"]["value"] == pytest.approx(16.0)
    assert data["totals"] == {"conversions": 4.0, "value": 40.0}
    assert data["markov"] == {"order": 1, "conversion_probability": pytest.approx(0.8), "expected_value": 8.0}


def test_all_models_json_is_keyed_by_model(textbook: Path) -> None:
    code, out, _ = run(str(textbook), "--format", "json", "--order", "2")

    assert code == 0
    data = json.loads(out)
    assert list(data) == [str(m) for m in Model]
    assert data["first"]["channels"]["google_ads"] == {"conversions": 3.0, "value": 30.0}
    assert data["markov"]["markov"]["order"] == 2


def test_csv_output_is_one_line_per_model_and_channel(textbook: Path) -> None:
    code, out, _ = run(str(textbook), "--format", "csv")

    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == 2 * len(Model)
    linear = {r["channel"]: float(r["conversions"]) for r in rows if r["model"] == "linear"}
    assert linear == {"google_ads": 2.5, "mailing": 1.5}
    markov = [r for r in rows if r["model"] == "markov"]
    assert all(r["removal_effect"] for r in markov)
    assert not any(r["removal_effect"] for r in rows if r["model"] == "first")


def test_table_output_shows_each_channel_and_the_totals(textbook: Path) -> None:
    code, out, _ = run(str(textbook), "-m", "markov")

    assert code == 0
    assert "google_ads" in out
    assert "2.40" in out
    assert "P(conversion) = 0.800000" in out
    assert "Total" in out


def test_comparison_tables_show_conversions_and_value_by_model(textbook: Path) -> None:
    code, out, _ = run(str(textbook))

    assert code == 0
    assert "Conversions by model" in out
    assert "Value by model" in out
    assert "last-non-direct" in out


def test_model_parameters_reach_the_models(tmp_path: Path) -> None:
    file = tmp_path / "paths.csv"
    file.write_text(HEADER + "a > b > c;1;0;0\nweb > (none);1;0;0\n")

    _, out, _ = run(str(file), "-m", "position", "-f", "json", "--position-weights", "0.5", "0.5")
    assert json.loads(out)["channels"]["b"]["conversions"] == 0
    _, out, _ = run(str(file), "-m", "last-non-direct", "-f", "json", "--direct", "(NONE)")
    assert json.loads(out)["channels"]["web"]["conversions"] == 1
    _, out, _ = run(str(file), "-m", "time-decay", "-f", "json", "--half-life", "1")
    assert json.loads(out)["channels"]["c"]["conversions"] == pytest.approx(4 / 7)


def test_custom_delimiter_separator_and_parquet(tmp_path: Path) -> None:
    csv_file = tmp_path / "paths.tsv"
    csv_file.write_text(TEXTBOOK.replace(";", "\t").replace(" > ", " | "))
    parquet_file = tmp_path / "paths.parquet"
    duckdb.sql(
        f"COPY (SELECT * FROM read_csv('{csv_file}', delim = '\t')) TO '{parquet_file}' (FORMAT PARQUET)"
    )

    for args in ([str(csv_file), "-d", "\t", "-s", "|"], [str(parquet_file), "--sep", "|"]):
        code, out, _ = run(*args, "-m", "linear", "-f", "json")
        assert code == 0
        assert json.loads(out)["channels"]["mailing"]["conversions"] == 1.5


def test_a_bad_file_is_one_line_on_stderr_and_exit_status_1(tmp_path: Path) -> None:
    file = tmp_path / "bad.csv"
    file.write_text(HEADER + "a;1;0;0\nb;1;0;abc\n")

    code, out, err = run(str(file))

    assert code == 1
    assert out == ""
    assert err.strip() == "error: line 3, column total_null: 'abc' is not a number"
    assert "Traceback" not in err


def test_a_missing_file_is_reported_without_a_traceback(tmp_path: Path) -> None:
    code, _, err = run(str(tmp_path / "absent.csv"))

    assert code == 1
    assert "cannot read the file" in err
    assert len(err.strip().splitlines()) == 1


def test_bad_parameters_are_errors_not_tracebacks(textbook: Path) -> None:
    code, _, err = run(str(textbook), "-m", "position", "--position-weights", "0.9", "0.9")
    assert code == 1
    assert "position weights" in err

    code, _, _ = run(str(textbook), "--order", "4")
    assert code == 2  # usage error, reported by Typer


def test_every_engine_model_can_be_chosen() -> None:
    assert {c.value for c in cli.ModelChoice} == {m.value for m in Model} | {"all"}


def test_names_and_messages_that_look_like_markup_are_printed_as_they_are(tmp_path: Path) -> None:
    good = tmp_path / "brackets.csv"
    good.write_text(HEADER + "[paid] > email;1;0;0\n")
    bad = tmp_path / "bad.csv"
    bad.write_text(HEADER + "a;1;0;[red]\n")

    _, table, _ = run(str(good), "-m", "linear")
    code, _, err = run(str(bad))

    assert "[paid]" in table
    assert code == 1
    assert err.strip() == "error: line 2, column total_null: '[red]' is not a number"
