"""`flask places import FILE`: the health map from programme staff's CSV, all rows or none."""

from __future__ import annotations

from sqlalchemy import func, select

from service.models import Place
from service.places import ancestor_at_level, by_code, children

CSV = """code,name,level,parent_code
MOP,Mopti,region,
MOP-D1,Mopti,district,MOP
MOP-A1,Sévaré,area,MOP-D1
MOP-V01,Sévaré,village,MOP-A1
MOP-V02,Somadougou,village,MOP-A1
"""


def write(tmp_path, text: str):
    path = tmp_path / "places.csv"
    path.write_text(text, encoding="utf-8")
    return str(path)


def place_count(db) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Place))


def test_import_prints_counts_by_level(runner, db, tmp_path):
    result = runner.invoke(args=["places", "import", write(tmp_path, CSV)])
    assert result.exit_code == 0, result.output
    assert (
        "Places: 5 created, 0 updated, 0 unchanged (1 region, 1 district, 1 area, 2 village)."
        in result.output
    )
    assert place_count(db) == 5


def test_second_import_of_the_same_file_changes_nothing(runner, db, tmp_path):
    path = write(tmp_path, CSV)
    runner.invoke(args=["places", "import", path])
    result = runner.invoke(args=["places", "import", path])
    assert "Places: 0 created, 0 updated, 5 unchanged" in result.output
    assert place_count(db) == 5


def test_changed_name_is_updated(runner, db, tmp_path):
    runner.invoke(args=["places", "import", write(tmp_path, CSV)])
    result = runner.invoke(args=["places", "import", write(tmp_path, CSV.replace("Somadougou", "Soma"))])
    assert "0 created, 1 updated, 4 unchanged" in result.output
    with db.session() as session:
        assert by_code(session, "MOP-V02").name == "Soma"


def test_bad_rows_are_refused_with_line_numbers_and_nothing_is_imported(runner, db, tmp_path):
    bad = CSV + (
        "MOP-V03,,village,MOP-A1\n"
        "MOP-V04,Fatoma,hamlet,MOP-A1\n"
        "MOP-V05,Toguel,village,NOWHERE\n"
        "MOP-V01,Twice,village,MOP-A1\n"
        "MOP-V06,Gangal,village,MOP-D1\n"
        "MOP-V07,Only three,village\n"
        "=1+2,Formula,village,MOP-A1\n"
    )
    result = runner.invoke(args=["places", "import", write(tmp_path, bad)])
    assert result.exit_code == 1
    assert "Nothing was imported" in result.stderr
    for expected in (
        "line 7: code and name are required",
        "line 8: level must be one of region, district, area, village",
        "line 9: unknown parent_code NOWHERE",
        "line 10: code MOP-V01 already used on line 5",
        "line 11: the parent of a village must be a area",
        "line 12: expected 4 columns, found 3",
        "line 13: code '=1+2' must be capital letters, digits and dashes (e.g. TBK-V09)",
    ):
        assert expected in result.stderr
    assert place_count(db) == 0


def test_wrong_header_is_refused(runner, db, tmp_path):
    result = runner.invoke(args=["places", "import", write(tmp_path, "id,name\n1,Mopti\n")])
    assert result.exit_code == 1 and "line 1: the header must be code,name,level,parent_code" in result.stderr


def test_children_and_ancestors_follow_the_health_map(runner, db, tmp_path):
    runner.invoke(args=["places", "import", write(tmp_path, CSV)])
    with db.session() as session:
        area = by_code(session, "MOP-A1", "area")
        assert [place.name for place in children(session, area.id, "village")] == ["Somadougou", "Sévaré"]
        assert ancestor_at_level(by_code(session, "MOP-V02"), "district").code == "MOP-D1"


def test_an_optional_sms_name_column_gives_places_a_neutral_name_and_refuses_an_indiscreet_one(
    runner, db, tmp_path
):
    named = (
        CSV.replace("parent_code\n", "parent_code,sms_name\n").replace("\n", ",\n").replace(",\n", "\n", 1)
    )
    named = named.replace(
        "MOP-A1,Sévaré,area,MOP-D1,", "MOP-A1,Service de psychiatrie,area,MOP-D1,CSCom Sévaré"
    )
    result = runner.invoke(args=["places", "import", write(tmp_path, named)])
    assert result.exit_code == 0, result.output
    with db.session() as session:
        area = by_code(session, "MOP-A1")
        assert (area.name_in_sms, by_code(session, "MOP-V01").name_in_sms) == ("CSCom Sévaré", "Sévaré")

    indiscreet = named.replace("CSCom Sévaré", "Psychiatrie Sévaré")
    refused = runner.invoke(args=["places", "import", write(tmp_path, indiscreet)])
    assert refused.exit_code == 1
    assert "line 4: the sms_name would say what is treated there" in refused.stderr
