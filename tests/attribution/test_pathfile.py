"""Reading path files: formats told by content, and every bad file named by line and column."""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import numpy as np
import pytest

from omnicx.attribution.errors import PathFileError
from omnicx.attribution.pathfile import FileFormat, detect_format, read_path_file

HEADER = "path;total_conversions;total_conversion_value;total_null\n"
GOOD = HEADER + "email > search;2;30.5;1\nsearch;1;10;4\n  display  >email;0;0;7\n"


def write(tmp_path: Path, text: str, name: str = "paths.csv") -> Path:
    file = tmp_path / name
    file.write_text(text, encoding="utf-8")
    return file


def assert_good(file: Path, **kwargs: str) -> None:
    paths = read_path_file(file, **kwargs)
    assert paths.channels == ("display", "email", "search")
    assert paths.conversions.tolist() == [2, 1, 0]
    assert paths.value.tolist() == [30.5, 10, 0]
    assert paths.nulls.tolist() == [1, 4, 7]
    assert [paths.channels[i] for i in paths.touches] == ["email", "search", "search", "display", "email"]


def test_reads_csv(tmp_path: Path) -> None:
    assert_good(write(tmp_path, GOOD))


def test_reads_gzip_csv_told_by_its_bytes_whatever_its_name(tmp_path: Path) -> None:
    file = tmp_path / "paths.csv"
    file.write_bytes(gzip.compress(GOOD.encode()))

    assert detect_format(file) is FileFormat.GZIP_CSV
    assert_good(file)


def test_a_plain_csv_named_gz_is_read_as_csv(tmp_path: Path) -> None:
    file = write(tmp_path, GOOD, "paths.csv.gz")

    assert detect_format(file) is FileFormat.CSV
    assert_good(file)


def test_reads_parquet(tmp_path: Path) -> None:
    source = write(tmp_path, GOOD)
    file = tmp_path / "paths.data"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{source}', delim = ';')) TO '{file}' (FORMAT PARQUET)")

    assert detect_format(file) is FileFormat.PARQUET
    assert_good(file)


def test_custom_delimiter_and_path_separator(tmp_path: Path) -> None:
    text = GOOD.replace(";", "\t").replace(">", "|")

    assert_good(write(tmp_path, text), delimiter="\t", sep="|")


def test_quoted_fields_may_hold_the_delimiter(tmp_path: Path) -> None:
    text = 'path,total_conversions\n"a, b > c",1\n'

    paths = read_path_file(write(tmp_path, text), delimiter=",")

    assert paths.channels == ("a, b", "c")


def test_value_and_null_columns_are_optional_and_extra_columns_ignored(tmp_path: Path) -> None:
    text = "campaign;path;total_conversions\nspring;a > b;3\nfall;b;0\n"

    paths = read_path_file(write(tmp_path, text))

    assert paths.conversions.tolist() == [3, 0]
    assert paths.value.tolist() == [0, 0]
    assert paths.nulls.tolist() == [0, 0]


def test_a_header_only_file_has_no_paths(tmp_path: Path) -> None:
    assert len(read_path_file(write(tmp_path, HEADER))) == 0


def test_reads_the_channelattribution_demo_layout_with_a_byte_order_mark(tmp_path: Path) -> None:
    file = tmp_path / "bom.csv"
    file.write_bytes(b"\xef\xbb\xbf" + GOOD.encode())

    assert_good(file)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (HEADER + "a;1;2;0\nb;1;1;abc\n", "line 3, column total_null: 'abc' is not a number"),
        (HEADER + "a;x;2;0\n", "line 2, column total_conversions: 'x' is not a number"),
        (HEADER + "a;1;2;0\n\nb;1;1,5;0\n", "line 4, column total_conversion_value: '1,5' is not a number"),
        (HEADER + "a;1;2;0\nb;1;1\n", "line 3: wrong number of fields"),
        (HEADER + "a;1;2;0\n;1;1;1\n", "line 3, column path: empty path"),
        (HEADER + "a;1;2;0\n   ;1;1;1\n", "line 3, column path: empty path"),
        (HEADER + "a;1;2;0\na >  > b;1;1;1\n", "line 3, column path: empty channel name at position 2"),
        (HEADER + 'a;1;2;0\n"x\ny";1;1;1\nb;-1;0;1\n', "line 5, column total_conversions: -1 is negative"),
        (HEADER + "a;1;2;0\nb;1;1;-2\n", "line 3, column total_null: -2 is negative"),
        (HEADER + "a;1;inf;0\n", "line 2, column total_conversion_value: inf is not a finite number"),
        (HEADER + "a;1;;0\n", "line 2, column total_conversion_value: empty value"),
        (HEADER + "a;0;5;1\n", "line 2, column total_conversion_value: 5 on a path with no conversions"),
        ("path;total_null\na;1\n", "missing column total_conversions"),
        ("", "the file is empty"),
    ],
)
def test_bad_csv_files_name_the_line_and_column(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(PathFileError, match=message):
        read_path_file(write(tmp_path, text))


def test_a_wrong_delimiter_is_hinted_at(tmp_path: Path) -> None:
    with pytest.raises(PathFileError, match=r"missing column path .*is the delimiter ';' right"):
        read_path_file(write(tmp_path, GOOD.replace(";", ",")))


def test_bad_gzip_file_names_the_line(tmp_path: Path) -> None:
    file = tmp_path / "paths.gz"
    file.write_bytes(gzip.compress((HEADER + "a;1;2;0\nb;1;1;oops\n").encode()))

    with pytest.raises(PathFileError, match="line 3, column total_null: 'oops' is not a number"):
        read_path_file(file)


def test_bad_parquet_values_name_the_row_and_column(tmp_path: Path) -> None:
    file = tmp_path / "bad.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', '1', 0), ('b', 'two', 1)) t(path, total_conversions, total_null))"
        f" TO '{file}' (FORMAT PARQUET)"
    )

    with pytest.raises(PathFileError, match="row 2, column total_conversions: 'two' is not a number"):
        read_path_file(file)


def test_parquet_null_paths_and_negative_counts_are_located(tmp_path: Path) -> None:
    file = tmp_path / "nulls.parquet"
    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', 1), (NULL, 2)) t(path, total_conversions))"
        f" TO '{file}' (FORMAT PARQUET)"
    )
    with pytest.raises(PathFileError, match="row 2, column path: empty path"):
        read_path_file(file)

    duckdb.sql(
        "COPY (SELECT * FROM (VALUES ('a', 1), ('b', -2)) t(path, total_conversions))"
        f" TO '{file}' (FORMAT PARQUET)"
    )
    with pytest.raises(PathFileError, match="row 2, column total_conversions: -2 is negative"):
        read_path_file(file)


def test_a_missing_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PathFileError, match="cannot read the file"):
        read_path_file(tmp_path / "nowhere.csv")


def test_progress_names_each_step(tmp_path: Path) -> None:
    steps: list[str] = []

    read_path_file(write(tmp_path, GOOD), on_progress=steps.append)

    assert steps == ["reading csv file", "checking values", "parsing 3 paths"]


def test_large_file_round_trip(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    names = np.array(["email", "paid search", "direct", "social"])
    rows = [" > ".join(names[rng.integers(0, 4, rng.integers(1, 6))]) for _ in range(20_000)]
    conversions = rng.integers(0, 3, len(rows))
    text = HEADER + "".join(f"{p};{c};{c * 2.5};1\n" for p, c in zip(rows, conversions, strict=True))

    paths = read_path_file(write(tmp_path, text))

    assert len(paths) == 20_000
    assert paths.total_conversions == conversions.sum()
    assert paths.total_value == pytest.approx(2.5 * conversions.sum())


def test_windows_line_endings(tmp_path: Path) -> None:
    file = tmp_path / "crlf.csv"
    file.write_bytes(GOOD.replace("\n", "\r\n").encode())

    assert_good(file)
    file.write_bytes((HEADER + "a;1;2;0\nb;1;1;x\n").replace("\n", "\r\n").encode())
    with pytest.raises(PathFileError, match="line 3, column total_null: 'x' is not a number"):
        read_path_file(file)
