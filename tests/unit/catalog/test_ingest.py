"""Reading uploads: encodings, type inference, declared schemas, and the errors a user sees."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from yiwang.catalog.ingest import (
    Column,
    ColumnType,
    IngestError,
    Table,
    WidenColumn,
    converter,
    open_table,
)

T = ColumnType
ADDRESS = "杭州市西湖区文三路"
CSV_TEXT = f"编号,地址,金额\n1,{ADDRESS}90号,12.50\n2,宁波市海曙区,7\n"


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A date-time without a zone, as a file without one gives it."""
    return dt.datetime(year, month, day, hour, minute)  # noqa: DTZ001


def write(tmp_path: Path, data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Store an upload under a name of its own, as the web layer does."""
    path = tmp_path / "upload.bin"
    path.write_bytes(data if isinstance(data, bytes) else data.encode(encoding))
    return path


def read(table: Table) -> list[tuple[object, ...]]:
    return list(table.rows())


def types(table: Table) -> dict[str, ColumnType]:
    return {c.name: c.type for c in table.columns}


def bad_file(path: Path, filename: str = "data.csv", **options: Any) -> IngestError:
    """Open and read a file that must be refused; return the error."""
    with pytest.raises(IngestError) as caught:
        read(open_table(path, filename=filename, **options))
    return caught.value


# -- Encodings ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encoding", "detected"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("gbk", "gb18030"),
        ("gb2312", "gb18030"),
        ("gb18030", "gb18030"),
    ],
)
def test_chinese_text_round_trips_in_every_encoding(
    tmp_path: Path, encoding: str, detected: str
) -> None:
    table = open_table(write(tmp_path, CSV_TEXT, encoding=encoding), filename="地址.csv")
    assert table.encoding == detected
    assert [c.name for c in table.columns] == ["编号", "地址", "金额"]
    assert read(table) == [(1, f"{ADDRESS}90号", Decimal("12.50")), (2, "宁波市海曙区", Decimal(7))]


def test_gb18030_four_byte_characters_round_trip(tmp_path: Path) -> None:
    text = "姓名,备注\n𠀀,生僻字\n"  # U+20000 takes four bytes in GB18030
    table = open_table(write(tmp_path, text, encoding="gb18030"), filename="a.csv")
    assert table.encoding == "gb18030"
    assert read(table) == [("𠀀", "生僻字")]


def test_utf8_with_rare_characters_is_utf8(tmp_path: Path) -> None:
    text = "姓名,城市\n王䶮,杭州\n𠀀龘,温州\n"
    table = open_table(write(tmp_path, text), filename="a.csv")
    assert table.encoding == "utf-8"
    assert read(table) == [("王䶮", "杭州"), ("𠀀龘", "温州")]


def test_gbk_file_whose_first_megabyte_is_ascii_is_still_gbk(tmp_path: Path) -> None:
    lines = ["id,name"] + [f"{i},abc" for i in range(1, 200_000)] + [f"200000,{ADDRESS}"]
    path = write(tmp_path, "\n".join(lines) + "\n", encoding="gbk")
    assert path.stat().st_size > 3 << 19  # the Chinese comes after the first 1.5 MiB
    table = open_table(path, filename="a.csv")
    assert table.encoding == "gb18030"
    assert read(table)[-1] == (200_000, ADDRESS)


def test_undecodable_bytes_deep_in_a_big_file_name_the_line(tmp_path: Path) -> None:
    lines = [f"{i},{ADDRESS}{i}号".encode() for i in range(1, 100_001)]
    lines[79_999] = b"80000,\xff\xfe broken"  # line 80,001 of the file
    path = write(tmp_path, b"id,address\n" + b"\n".join(lines) + b"\n")
    assert path.stat().st_size > 3 << 20
    table = open_table(path, filename="a.csv")
    assert table.encoding == "utf-8"
    error = bad_file(path)
    assert [p.row for p in error.problems] == [80_001]
    assert "第 80001 行" in error.message("zh-CN")
    assert "line 80001" in error.message("en")


def test_a_damaged_byte_in_a_utf8_file_is_not_read_as_gbk(tmp_path: Path) -> None:
    data = (f"id,address\n1,{ADDRESS}\n2,{ADDRESS}\n".encode() + b"3,\xc3\x28\n").replace(
        b"\n", b"\r\n"
    )
    error = bad_file(write(tmp_path, data))
    assert error.problems[0].row == 4
    assert "utf-8" in error.problems[0].message_en


def test_a_damaged_header_does_not_make_a_utf8_file_gbk(tmp_path: Path) -> None:
    rows = "".join(f"{i},{ADDRESS}{i}号\n" for i in range(1, 50))
    data = "编号,地址\n".encode()[:-3] + b"\xe5\x9d\n" + rows.encode()
    error = bad_file(write(tmp_path, data))
    assert error.problems[0].row == 1
    assert "utf-8" in error.problems[0].message_en


def test_bytes_of_no_known_encoding_name_the_line(tmp_path: Path) -> None:
    data = f"id,address\n1,{ADDRESS}\n".encode("gbk") + b"2,\xff\xff\n"
    error = bad_file(write(tmp_path, data))
    assert error.problems[0].row == 3
    assert "UTF-8" in error.problems[0].message_zh


def test_a_binary_file_is_not_text(tmp_path: Path) -> None:
    error = bad_file(write(tmp_path, b"\xd0\xcf\x11\xe0\x00\x00\x00\x00"), "old.csv")
    assert "NUL" in error.message("en")


# -- Structure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"  \r\n\n \t\n"])
def test_an_empty_file_is_refused(tmp_path: Path, data: bytes) -> None:
    error = bad_file(write(tmp_path, data))
    assert error.message("zh-CN") == "文件无法载入：文件为空"
    assert error.message("en") == "The file cannot be loaded: the file is empty"


def test_a_header_alone_is_a_table_without_rows(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "编号,名称\r\n"), filename="a.csv")
    assert [c.name for c in table.columns] == ["编号", "名称"]
    assert types(table) == {"编号": T.TEXT, "名称": T.TEXT}
    assert read(table) == []


def test_blank_and_repeated_headers_name_the_column(tmp_path: Path) -> None:
    error = bad_file(write(tmp_path, "编号,,名称, 编号 \n1,2,3,4\n"))
    assert [p.message_zh for p in error.problems] == [
        "第 2 列的表头为空",
        "第 4 列的表头“编号”与第 1 列重复",
    ]
    assert error.problems[1].message_en == "the header of column 4, 编号, repeats column 1"
    assert error.problems[1].column == "编号"


def test_ragged_rows_name_the_row(tmp_path: Path) -> None:
    text = 'a,b,c,d\n1,2,3,4\n5,"six\nlines",7,8\n\n9,10,11,12,13\n'
    error = bad_file(write(tmp_path, text))
    (problem,) = error.problems
    assert (problem.message_zh, problem.message_en) == (
        "第 6 行有 5 列，表头有 4 列",
        "row 6 has 5 cells, the header has 4",
    )


def test_blank_lines_are_left_out(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "a,b\n1,x\n\n,\n2,y\n\n\n"), filename="a.csv")
    assert read(table) == [(1, "x"), (2, "y")]


def test_a_file_over_the_limit_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path, "a\n" + "1\n" * 1000)
    error = bad_file(path, max_bytes=1024)
    assert error.problems[0].message_zh == "文件大小 2.0 KB 超过上限 1.0 KB"
    assert read(open_table(path, filename="a.csv", max_bytes=4096))[:1] == [(1,)]


def test_an_unknown_format_names_the_accepted_ones(tmp_path: Path) -> None:
    error = bad_file(write(tmp_path, "a\n1\n"), "旧表格.xls")
    assert ".xlsx" in error.message("zh-CN")
    assert "NDJSON" in error.message("en")


@pytest.mark.parametrize(
    ("filename", "delimiter"), [("a.tsv", "\t"), ("a.txt", ";"), ("a.csv", "|")]
)
def test_the_delimiter_is_sniffed(tmp_path: Path, filename: str, delimiter: str) -> None:
    text = "\n".join(delimiter.join(r) for r in [["名称", "金额"], ["甲, 乙", "1.5"], ["丙", "2"]])
    table = open_table(write(tmp_path, text + "\n"), filename=filename)
    assert read(table) == [("甲, 乙", Decimal("1.5")), ("丙", Decimal(2))]


# -- Inference ---------------------------------------------------------------------------------


def test_each_type_is_inferred_and_converted(tmp_path: Path) -> None:
    text = (
        "整数,小数,布尔,日期,日期时间,文本\n"
        "12,1.5,是,2025-10-01,2025-10-01 08:30,甲\n"
        "-3,-2.25e2,否,2025/10/2,2025/10/2 09:15:30 +08:00,乙\n"
        "+7,,Y,2025年10月3日,2025年10月3日 8时30分,\n"
        ",0.10,n,2025.10.04,2025-10-04T00:00:00Z, 丙 \n"
    )
    table = open_table(write(tmp_path, text), filename="a.csv")
    assert types(table) == {
        "整数": T.INTEGER,
        "小数": T.DECIMAL,
        "布尔": T.BOOLEAN,
        "日期": T.DATE,
        "日期时间": T.DATETIME,
        "文本": T.TEXT,
    }
    east8 = dt.timezone(dt.timedelta(hours=8))
    assert read(table) == [
        (12, Decimal("1.5"), True, dt.date(2025, 10, 1), local(2025, 10, 1, 8, 30), "甲"),
        (
            -3,
            Decimal(-225),
            False,
            dt.date(2025, 10, 2),
            dt.datetime(2025, 10, 2, 9, 15, 30, tzinfo=east8),
            "乙",
        ),
        (7, None, True, dt.date(2025, 10, 3), local(2025, 10, 3, 8, 30), None),
        (
            None,
            Decimal("0.10"),
            False,
            dt.date(2025, 10, 4),
            dt.datetime(2025, 10, 4, tzinfo=dt.UTC),
            " 丙 ",
        ),
    ]


def test_codes_and_identifiers_keep_their_zeros_as_text(tmp_path: Path) -> None:
    text = (
        "区号,区划代码,身份证号,长编号,数字\n"
        "0571,330106,33010619900101123X,1234567890123456,1\n"
        "0574,330203,330203199202023456,2234567890123456,0\n"
    )
    table = open_table(write(tmp_path, text), filename="a.csv")
    assert types(table) == {
        "区号": T.TEXT,
        "区划代码": T.INTEGER,
        "身份证号": T.TEXT,
        "长编号": T.TEXT,
        "数字": T.INTEGER,  # 1 and 0 alone are numbers, not booleans
    }
    assert read(table)[0] == ("0571", 330106, "33010619900101123X", "1234567890123456", 1)


def test_impossible_dates_are_not_dates(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "日期\n2025-02-28\n2025-02-30\n"), filename="a.csv")
    assert types(table) == {"日期": T.TEXT}
    assert read(table) == [("2025-02-28",), ("2025-02-30",)]


def test_a_compact_date_is_a_number_unless_declared(tmp_path: Path) -> None:
    path = write(tmp_path, "日期\n20251001\n")
    assert read(open_table(path, filename="a.csv")) == [(20251001,)]
    declared = [Column("日期", T.DATE)]
    assert read(open_table(path, filename="a.csv", declared=declared)) == [(dt.date(2025, 10, 1),)]


def test_a_late_value_widens_an_inferred_column(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i}\n" for i in range(1, 20))
    path = write(tmp_path, "数量,编号\n" + rows + "20.5,0571\n")
    table = open_table(path, filename="a.csv", sample_rows=10)
    assert types(table) == {"数量": T.INTEGER, "编号": T.INTEGER}
    with pytest.raises(WidenColumn) as caught:
        read(table)
    widen = caught.value
    assert (widen.column, widen.to, widen.row) == ("数量", T.DECIMAL, 21)
    assert widen.changes == {"数量": T.DECIMAL, "编号": T.TEXT}
    # The loader starts again with what it learnt.
    again = open_table(path, filename="a.csv", sample_rows=10, overrides=widen.changes)
    assert read(again)[-2:] == [(Decimal(19), "19"), (Decimal("20.5"), "0571")]


@pytest.mark.parametrize(
    ("sampled", "late", "to"),
    [
        ("12", "0571", T.TEXT),  # a code: its zero must not be lost
        ("12", "1_000", T.TEXT),
        ("12", "１２", T.TEXT),
        ("12", "-3.5", T.DECIMAL),
        ("12", "1e3", T.DECIMAL),
        ("12", "12345678901234567890", T.TEXT),
        ("1.5", "007.5", T.TEXT),
        ("1.5", "NaN", T.TEXT),
        ("是", "也许", T.TEXT),
        ("2025-10-01", "2025-10-02 08:00", T.DATETIME),
        ("2025-10-01", "2025-02-30", T.TEXT),
        ("2025-10-01 08:00", "明天", T.TEXT),
    ],
)
def test_values_that_do_not_fit_an_inferred_type_widen_it(
    tmp_path: Path, sampled: str, late: str, to: ColumnType
) -> None:
    path = write(tmp_path, "值\n" + f"{sampled}\n" * 300 + f"{late}\n")
    table = open_table(path, filename="a.csv", sample_rows=100)
    with pytest.raises(WidenColumn) as caught:
        read(table)
    assert (caught.value.column, caught.value.to, caught.value.row) == ("值", to, 302)
    again = open_table(path, filename="a.csv", sample_rows=100, overrides={"值": to})
    assert len(read(again)) == 301


def test_blank_cells_are_none(tmp_path: Path) -> None:
    text = "数量,名称,日期,有效\n1,甲,2025-10-01,是\n  ,\u3000, ,\t\n"
    table = open_table(write(tmp_path, text), filename="a.csv")
    assert read(table) == [(1, "甲", dt.date(2025, 10, 1), True)]  # an all-blank row is left out
    text = "数量,名称,日期,有效\n1,甲,2025-10-01,是\n  ,乙, ,\t\n"
    table = open_table(write(tmp_path, text), filename="a.csv")
    assert read(table)[1] == (None, "乙", None, None)


def test_a_value_that_breaks_a_declared_column_is_an_error(tmp_path: Path) -> None:
    rows = "".join(f"{i},{i}.5\n" for i in range(1, 20))
    path = write(tmp_path, "金额,备注\n" + rows + "12a,x\n")
    declared = [Column("备注", T.TEXT), Column("金额", T.INTEGER)]
    error = bad_file(path, declared=declared)
    (problem,) = error.problems
    assert (problem.row, problem.column) == (21, "金额")
    assert error.message("zh-CN") == "文件无法载入：第 21 行“金额”列：值“12a”不是整数"
    assert (
        error.message("en")
        == "The file cannot be loaded: row 21, column 金额: '12a' is not an integer"
    )
    assert error.details[0] == {
        "row": 21,
        "column": "金额",
        "message": "第 21 行“金额”列：值“12a”不是整数",
        "message_en": "row 21, column 金额: '12a' is not an integer",
    }


def test_declared_columns_read_leading_zeros_as_numbers(tmp_path: Path) -> None:
    declared = [Column("月", T.INTEGER), Column("值", T.DECIMAL)]
    table = open_table(write(tmp_path, "月,值\n01,007.50\n"), filename="a.csv", declared=declared)
    assert read(table) == [(1, Decimal("7.50"))]


def test_declared_columns_must_match_the_header(tmp_path: Path) -> None:
    declared = [Column("编号", T.INTEGER), Column("金额", T.DECIMAL)]
    error = bad_file(write(tmp_path, "编号,备注\n1,x\n"), declared=declared)
    assert [(p.column, p.message_zh, p.message_en) for p in error.problems] == [
        ("金额", "表头缺少声明的列“金额”", "the header lacks the declared column 金额"),
        (
            "备注",
            "表头中的列“备注”不在声明的结构中",
            "the header has a column 备注 that is not in the declared schema",
        ),
    ]


def test_up_to_ten_problems_are_reported_in_file_order(tmp_path: Path) -> None:
    values = ["x" if i % 97 == 0 else str(i) for i in range(1, 3000)]
    path = write(tmp_path, "数量\n" + "\n".join(values) + "\n")
    error = bad_file(path, declared=[Column("数量", T.INTEGER)])
    assert [p.row for p in error.problems] == [97 * k + 1 for k in range(1, 11)]


def test_problems_far_after_the_first_are_not_waited_for(tmp_path: Path) -> None:
    values = ["x" if i in (5, 2500) else str(i) for i in range(1, 3000)]
    path = write(tmp_path, "数量\n" + "\n".join(values) + "\n")
    error = bad_file(path, declared=[Column("数量", T.INTEGER)])
    assert [p.row for p in error.problems] == [6]


def test_converter_reads_a_declared_value() -> None:
    assert converter(T.DATE)("2025/10/1") == dt.date(2025, 10, 1)
    assert converter(T.INTEGER)(" 42 ") == 42
    assert converter(T.TEXT)("  ") is None
    with pytest.raises(ValueError, match="abc"):
        converter(T.DECIMAL)("abc")


# -- Reading -----------------------------------------------------------------------------------


def test_batches_have_the_asked_size(tmp_path: Path) -> None:
    path = write(tmp_path, "n\n" + "".join(f"{i}\n" for i in range(1, 12_346)))
    table = open_table(path, filename="a.csv")
    sizes = [len(b) for b in table.batches(5000)]
    assert sizes == [5000, 5000, 2345]
    assert table.bytes_read() == table.bytes_total
    assert [len(b) for b in table.batches(size=1000)][-1] == 345
    with pytest.raises(ValueError, match="positive"):
        next(table.batches(0))


def test_rows_can_be_read_again_and_stopped_early(tmp_path: Path) -> None:
    table = open_table(write(tmp_path, "n\n1\n2\n3\n"), filename="a.csv")
    first = table.rows()
    assert next(first) == (1,)
    del first  # closes the file
    assert read(table) == [(1,), (2,), (3,)]


# -- Excel -------------------------------------------------------------------------------------


def workbook(tmp_path: Path, rows: Sequence[Sequence[object]], *, merge: str | None = None) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(list(row))
    if merge:
        sheet.merge_cells(merge)
    path = tmp_path / "upload.bin"
    book.save(path)
    return path


def test_excel_cells_arrive_typed(tmp_path: Path) -> None:
    path = workbook(
        tmp_path,
        [
            ["编号", "金额", "日期", "时间", "有效", "区号", "备注"],
            [
                1,
                12.5,
                local(2025, 10, 1),
                local(2025, 10, 1, 8, 30),
                True,
                "0571",
                None,
            ],
            [2, 3, local(2025, 10, 2), local(2025, 10, 2, 9, 0), False, "0574", 42],
            [3.0, 0.1, dt.date(2025, 10, 3), local(2025, 10, 3, 10, 0), None, "0573", "文字"],
        ],
    )
    table = open_table(path, filename="数据.xlsx")
    assert (table.source_format, table.encoding) == ("xlsx", None)
    assert types(table) == {
        "编号": T.INTEGER,
        "金额": T.DECIMAL,
        "日期": T.DATE,
        "时间": T.DATETIME,
        "有效": T.BOOLEAN,
        "区号": T.TEXT,
        "备注": T.TEXT,
    }
    assert read(table) == [
        (
            1,
            Decimal("12.5"),
            dt.date(2025, 10, 1),
            local(2025, 10, 1, 8, 30),
            True,
            "0571",
            None,
        ),
        (2, Decimal(3), dt.date(2025, 10, 2), local(2025, 10, 2, 9), False, "0574", "42"),
        (
            3,
            Decimal("0.1"),
            dt.date(2025, 10, 3),
            local(2025, 10, 3, 10),
            None,
            "0573",
            "文字",
        ),
    ]
    assert table.bytes_read() == table.bytes_total


def test_excel_header_is_the_first_filled_row(tmp_path: Path) -> None:
    path = workbook(tmp_path, [[], ["名称", "数量", None], ["甲", 1], [], ["乙", "x"]])
    error = bad_file(path, "a.xlsx", declared=[Column("名称", T.TEXT), Column("数量", T.INTEGER)])
    assert error.problems[0].message_zh == "第 5 行“数量”列：值“x”不是整数"


def test_excel_values_past_the_header_are_ragged(tmp_path: Path) -> None:
    error = bad_file(workbook(tmp_path, [["a", "b"], [1, 2], [3, 4, 5]]), "a.xlsx")
    assert error.problems[0].message_en == "row 3 has 3 cells, the header has 2"


def test_excel_merged_header_cells_are_reported_with_their_range(tmp_path: Path) -> None:
    path = workbook(tmp_path, [["2025年杭州市统计", None, None], ["a", "b", "c"]], merge="A1:C1")
    error = bad_file(path, "统计.xlsx")
    (problem,) = error.problems
    assert problem.row == 1
    assert "A1:C1" in problem.message_zh
    assert "merged cells A1:C1" in error.message("en")


def test_a_broken_workbook_is_refused(tmp_path: Path) -> None:
    error = bad_file(write(tmp_path, b"PK\x03\x04 not really a zip"), "a.xlsx")
    assert "Excel" in error.message("zh-CN")


# -- JSON --------------------------------------------------------------------------------------


def test_json_array_of_objects(tmp_path: Path) -> None:
    records = [{"编号": 1, "金额": 2.5, "名称": "甲"}, {"编号": 2, "金额": 3, "名称": None}]
    table = open_table(write(tmp_path, json.dumps(records, ensure_ascii=False)), filename="a.json")
    assert types(table) == {"编号": T.INTEGER, "金额": T.DECIMAL, "名称": T.TEXT}
    assert read(table) == [(1, Decimal("2.5"), "甲"), (2, Decimal(3), None)]


@pytest.mark.parametrize("key", ["records", "data"])
def test_json_object_holding_records(tmp_path: Path, key: str) -> None:
    document = {"total": 2, key: [{"a": "2025-10-01"}, {"a": "2025年10月2日"}]}
    table = open_table(write(tmp_path, json.dumps(document)), filename="a.json")
    assert read(table) == [(dt.date(2025, 10, 1),), (dt.date(2025, 10, 2),)]


def test_json_records_must_have_the_same_keys(tmp_path: Path) -> None:
    records = [{"a": 1, "b": 2}, {"a": 1, "b": 2}, {"a": 3}, {"a": 4, "b": 5, "c": 6}]
    error = bad_file(write(tmp_path, json.dumps(records)), "a.json")
    assert [(p.row, p.column, p.message_zh) for p in error.problems] == [
        (3, "b", "第 3 条记录缺少字段“b”"),
        (4, "c", "第 4 条记录多出字段“c”"),
    ]


def test_json_that_is_not_records_is_refused(tmp_path: Path) -> None:
    error = bad_file(write(tmp_path, '{"a": 1}'), "a.json")
    assert "records" in error.message("en")
    error = bad_file(write(tmp_path, '[{"a": 1},'), "a.json")
    assert "JSON" in error.message("zh-CN")


def test_a_huge_json_file_is_refused_for_ndjson(tmp_path: Path) -> None:
    path = tmp_path / "upload.bin"
    with path.open("wb") as sparse:
        sparse.truncate(201 << 20)
    error = bad_file(path, "a.json")
    assert "NDJSON" in error.message("zh-CN")
    assert "NDJSON" in error.message("en")


def test_ndjson_streams_and_names_a_bad_line(tmp_path: Path) -> None:
    lines = ['{"编号": 1, "名称": "甲"}', "", '{"编号": 2, "名称": "乙"}', '{"编号": 3, "名称": }']
    path = write(tmp_path, "\n".join(lines) + "\n")
    error = bad_file(path, "a.ndjson")
    (problem,) = error.problems
    assert problem.row == 4
    assert problem.message_zh.startswith("第 4 行不是有效的 JSON")
    good = write(tmp_path, "\n".join(lines[:3]) + "\n")
    assert read(open_table(good, filename="a.jsonl")) == [(1, "甲"), (2, "乙")]
