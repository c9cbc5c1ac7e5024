"""Imports into the real store: good rows stored, bad rows reported, re-runs idempotent."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ChildRegistration, Inquiry, SoughtChild
from tracing import contract, people
from tracing.imports import services as imports
from tracing.linkage import store_upkeep
from tracing.search import services as search_services

TODAY = dt.date(2026, 11, 25)
CHILD_HEADER = (
    "ref,given_name,family_name,other_names,sex,age,date_of_birth,separation_date,"
    "separation_place,separation_lat,separation_lon,current_lat,current_lon,mother_name,"
    "father_name,language,registration_date"
)


def import_csv(session: Session, kind: contract.Kind, text: str) -> imports.ImportReport:
    validated = contract.validate_table(kind, contract.read_csv_text(text), today=TODAY)
    return imports.import_records(session, kind, validated, agency_name="Test Agency")


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def child_row(i: int, **overrides: str) -> str:
    values = {
        "ref": f"CH-{i:05d}",
        "given_name": f"Amina{i}",
        "family_name": "Yousif",
        "other_names": "Mina",
        "sex": "female",
        "age": str(i % 17),
        "date_of_birth": "",
        "separation_date": "2026-03-02",
        "separation_place": "Geneina",
        "separation_lat": "13.45",
        "separation_lon": "22.44",
        "current_lat": "13.8",
        "current_lon": "22.1",
        "mother_name": "Halima",
        "father_name": "Adam",
        "language": "Arabic",
        "registration_date": "2026-04-01",
    }
    values.update(overrides)
    return ",".join(values[c] for c in CHILD_HEADER.split(","))


def test_good_rows_are_stored_with_every_field(db_session: Session) -> None:
    report = import_csv(db_session, "children", CHILD_HEADER + "\n" + child_row(1))
    assert (report.inserted, report.errors) == (1, [])
    child = db_session.scalars(select(ChildRegistration)).one()
    assert (child.given_name, child.other_names, child.sex, child.age) == (
        "Amina1",
        ["Mina"],
        "female",
        1,
    )
    assert child.separation_date == dt.date(2026, 3, 2)
    assert child.separation_date_precision == "day"
    assert child.agency.name == "Test Agency"
    lat, lon = db_session.execute(
        select(
            func.ST_Y(func.geometry(ChildRegistration.separation_point)),
            func.ST_X(func.geometry(ChildRegistration.separation_point)),
        )
    ).one()
    assert (lat, lon) == (13.45, 22.44)


def test_ten_bad_rows_among_990_good_ones(db_session: Session) -> None:
    bad_at = set(range(50, 1000, 100))  # 10 rows
    rows = [child_row(i, age="31") if i in bad_at else child_row(i) for i in range(1000)]
    report = import_csv(db_session, "children", "\n".join([CHILD_HEADER, *rows]))
    assert count(db_session, ChildRegistration) == 990
    assert report.inserted == 990
    assert sorted(p.line for p in report.errors) == sorted(i + 2 for i in bad_at)
    assert all(p.column == "age" and "outside 0–25" in p.message for p in report.errors)


def test_reimport_updates_and_never_duplicates(db_session: Session) -> None:
    text = "\n".join([CHILD_HEADER, *(child_row(i) for i in range(5))])
    first = import_csv(db_session, "children", text)
    second = import_csv(db_session, "children", text)
    assert count(db_session, ChildRegistration) == 5
    assert (first.inserted, second.inserted, second.unchanged) == (5, 0, 5)
    assert all("exists in the store" in p.message for p in second.warnings)
    # An unchanged re-import leaves the revision alone; a changed row bumps it.
    changed = "\n".join([CHILD_HEADER, child_row(0, given_name="Aminah")])
    third = import_csv(db_session, "children", changed)
    assert (third.updated, third.unchanged) == (1, 0)
    stored = db_session.execute(select(ChildRegistration.ref, ChildRegistration.revision))
    revisions = dict(stored.all())
    assert revisions["CH-00000"] == 2 and revisions["CH-00001"] == 1


def test_a_reimport_that_moves_a_point_is_a_change(db_session: Session) -> None:
    import_csv(db_session, "children", CHILD_HEADER + "\n" + child_row(1))
    report = import_csv(
        db_session, "children", CHILD_HEADER + "\n" + child_row(1, separation_lat="13.5")
    )
    assert report.updated == 1


def test_inquiries_with_several_sought_children(db_session: Session) -> None:
    text = "\n".join(
        [
            "ref,inquiry_ref,inquirer_name,inquirer_relationship,given_name,family_name,sex,age,request_date",
            "SC-1,INQ-7,Halima Adam,mother,Idris,Adam,m,9,2026-04-03",
            "SC-2,INQ-7,,,Amna,Adam,f,6,2026-04-03",
            "SC-3,,Sok Chea,father,Dara,Sok,m,4,2026-04-05",
        ]
    )
    report = import_csv(db_session, "requests", text)
    assert report.inserted == 3
    inquiries = {i.ref: i for i in db_session.scalars(select(Inquiry))}
    assert set(inquiries) == {"INQ-7", "SC-3"}
    assert [s.ref for s in inquiries["INQ-7"].sought_children] == ["SC-1", "SC-2"]
    assert inquiries["INQ-7"].inquirer_name == "Halima Adam"
    assert inquiries["INQ-7"].request_date == dt.date(2026, 4, 3)
    # Re-import: same inquiries, same sought children.
    import_csv(db_session, "requests", text)
    assert (count(db_session, Inquiry), count(db_session, SoughtChild)) == (2, 3)


def test_a_corrected_inquirer_is_a_new_revision_of_every_sought_child(
    db_session: Session,
) -> None:
    """The matcher reads the inquirer's name and the request date as the sought children's
    own: correcting them in a re-import makes both siblings change (and match again),
    the one filed in an earlier file too."""
    header = (
        "ref,inquiry_ref,inquirer_name,inquirer_relationship,given_name,family_name,sex,age,"
        "request_date"
    )
    import_csv(
        db_session,
        "requests",
        "\n".join([header, "SC-1,INQ-7,Halima Adam,mother,Idris,Adam,m,9,2026-04-03"]),
    )
    import_csv(
        db_session,
        "requests",
        "\n".join([header, "SC-2,INQ-7,Halima Adam,mother,Amna,Adam,f,6,2026-04-03"]),
    )
    revisions = dict(db_session.execute(select(SoughtChild.ref, SoughtChild.revision)).all())
    unchanged = import_csv(
        db_session,
        "requests",
        "\n".join([header, "SC-2,INQ-7,Halima Adam,mother,Amna,Adam,f,6,2026-04-03"]),
    )
    assert (unchanged.unchanged, unchanged.changed_ids) == (1, [])
    corrected = import_csv(
        db_session,
        "requests",
        "\n".join([header, "SC-2,INQ-7,Halima Adamou,grandmother,Amna,Adam,f,6,2026-04-03"]),
    )
    after = dict(db_session.execute(select(SoughtChild.ref, SoughtChild.revision)).all())
    assert after == {ref: revision + 1 for ref, revision in revisions.items()}
    ids = dict(db_session.execute(select(SoughtChild.ref, SoughtChild.id)).all())
    assert sorted(corrected.changed_ids) == sorted(ids.values())
    assert corrected.updated == 1


def test_names_in_any_script_are_stored_exactly(db_session: Session) -> None:
    names = ["محمد آدم", "Олександр", "ស្រីមុំ", "<b>Mimi</b> 👧", "=1+1", 'O\'Neil "Sasha"']
    rows = [
        f'CH-{i},"{n.replace(chr(34), chr(34) * 2)}",,,,,,,,,,,,,,,' for i, n in enumerate(names)
    ]
    import_csv(db_session, "children", "\n".join([CHILD_HEADER, *rows]))
    stored = db_session.scalars(
        select(ChildRegistration.given_name).order_by(ChildRegistration.ref)
    )
    assert list(stored) == names


def test_xlsx_import(db_session: Session, tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(CHILD_HEADER.split(","))
    sheet.append(child_row(1).split(","))
    sheet.append(child_row(2, ref="").split(","))
    path = tmp_path / "children.xlsx"
    book.save(path)
    validated = contract.validate_file("children", path, today=TODAY)
    report = imports.import_records(db_session, "children", validated, agency_name="X")
    assert report.inserted == 1
    assert [(p.line, p.column) for p in report.errors] == [(3, "ref")]


def test_children_separated_within_10_km(db_session: Session) -> None:
    rows = [
        child_row(1, separation_lat="13.45", separation_lon="22.44"),  # at the point
        child_row(2, separation_lat="13.50", separation_lon="22.44"),  # ~5.5 km north
        child_row(3, separation_lat="13.60", separation_lon="22.44"),  # ~16.6 km north
        child_row(4, separation_lat="", separation_lon=""),
    ]
    import_csv(db_session, "children", "\n".join([CHILD_HEADER, *rows]))
    near = search_services.children_separated_near(db_session, 13.45, 22.44, 10)
    assert [c.ref for c in near] == ["CH-00001", "CH-00002"]


def test_store_keys_are_the_engines_name_keys() -> None:
    from matching import name_keys, normalize_name

    keys, blocks, text = people.store_keys(["Abdel Rahman", "Ishag"], ["Hawa", None])
    tokens = normalize_name("Abdel Rahman") + normalize_name("Ishag")
    assert keys == name_keys(tokens)
    assert text == " ".join(tokens)
    assert any(b.startswith("x:") for b in blocks) and any(b.startswith("m:") for b in blocks)
    # a name after a joined head is a key too: Srey Pov is found as Pov, as in the engine
    sreypov, _, _ = people.store_keys(["Srey Pov"], [])
    pov, _, _ = people.store_keys(["Pov"], [])
    assert set(pov) <= set(sreypov) and normalize_name("Srey Pov") == ["sreypov"]


def test_statistics_upkeep_is_skipped_for_a_role_that_does_not_own_the_tables(
    db_session: Session,
) -> None:
    """A deployment may run FTR as a role that can write rows but owns no table: after an
    import, ANALYZE and cleaning the GIN lists are left to autovacuum, the import stands."""
    from sqlalchemy import text

    import_csv(db_session, "children", CHILD_HEADER + "\n" + child_row(1))
    db_session.execute(text("CREATE ROLE ftr_test_not_owner"))
    db_session.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO ftr_test_not_owner"))
    db_session.execute(text("SET LOCAL ROLE ftr_test_not_owner"))
    store_upkeep.refresh_statistics(db_session, "children")
    assert count(db_session, ChildRegistration) == 1  # the transaction is still usable
    db_session.execute(text("RESET ROLE"))
