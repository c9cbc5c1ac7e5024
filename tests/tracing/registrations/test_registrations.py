"""Registering a child and filing an inquiry through the pages."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from models import AuditEvent, ChildRegistration, Inquiry, SoughtChild
from tracing.db import get_session

from ...conftest import post_form

CHILD = {
    "given_name": "Amina",
    "family_name": "Yousif",
    "other_names": "Mina; Amoun",
    "sex": "female",
    "age": "7",
    "age_estimated": "y",
    "separation_date": "2026-03-02",
    "separation_place": "Geneina",
    "separation_lat": "13.4521",
    "separation_lon": "22.4473",
    "mother_name": "Halima Adam",
    "father_name": "Yousif Idris",
    "current_place": "Adré transit centre",
    "current_lat": "13.4650",
    "current_lon": "22.1960",
    "care_arrangement": "interim care centre",
    "registration_date": "2026-04-01",
    "consent_tracing": "y",
}


def count(app: Flask, model: type) -> int:
    with app.app_context():
        return get_session().scalar(select(func.count()).select_from(model)) or 0


def test_register_a_child(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("registrar")
    response = post_form(client, "/children/new", CHILD)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        child = get_session().scalars(select(ChildRegistration)).one()
        assert child.ref.startswith("CH-") and child.other_names == ["Mina", "Amoun"]
        assert child.agency.name == "North" and child.care_arrangement == "interim care centre"
        actions = list(get_session().scalars(select(AuditEvent.action)))
    assert "register_child" in actions
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Amina" in page and "Adré transit centre" in page
    # A registrar does not see the exact current location; a caseworker of the agency does.
    assert 'id="exact-location"' not in page
    page = as_role("caseworker").get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="exact-location"' in page and "13.46500, 22.19600" in page


def test_bad_input_gets_field_errors_and_stores_nothing(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("registrar")
    bad = {
        **CHILD,
        "given_name": "",
        "family_name": "",
        "other_names": "",
        "age": "31",
        "separation_lon": "",
    }
    response = post_form(client, "/children/new", bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "no name: fill given_name" in page
    assert "age 31 is outside 0–25" in page
    assert "give both or neither" in page
    assert count(app, ChildRegistration) == 0


def test_edit_bumps_the_revision_and_is_audited(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("registrar")
    location = post_form(client, "/children/new", CHILD).headers["Location"]
    response = post_form(client, location + "/edit", {**CHILD, "given_name": "Aminah"})
    assert response.status_code == 302
    unchanged = post_form(client, location + "/edit", {**CHILD, "given_name": "Aminah"})
    assert unchanged.status_code == 302
    with app.app_context():
        child = get_session().scalars(select(ChildRegistration)).one()
        assert (child.given_name, child.revision) == ("Aminah", 2)


def test_file_an_inquiry_for_two_children(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("helpdesk")
    data = {
        "inquirer_name": "Halima Adam",
        "inquirer_relationship": "mother",
        "request_date": "2026-04-03",
        "consent_tracing": "y",
        "children-0-given_name": "Amina",
        "children-0-family_name": "Yousef",
        "children-0-sex": "female",
        "children-0-age": "6",
        "children-1-given_name": "Idris",
        "children-1-family_name": "Yousef",
        "children-1-sex": "male",
        "children-1-age": "9",
    }
    response = post_form(client, "/inquiries/new", data)
    assert response.status_code == 302, response.get_data(as_text=True)
    with app.app_context():
        inquiry = get_session().scalars(select(Inquiry)).one()
        assert [s.given_name for s in inquiry.sought_children] == ["Amina", "Idris"]
        assert inquiry.inquirer_relationship == "mother"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Halima Adam" in page and "Idris" in page


def test_add_another_child_button_adds_a_block(as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("helpdesk")
    response = post_form(
        client, "/inquiries/new", {"children-0-given_name": "Amina", "add_child": "1"}
    )
    page = response.get_data(as_text=True)
    assert 'id="sought-2"' in page and 'value="Amina"' in page


def test_a_bad_sought_child_stores_nothing(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("helpdesk")
    data = {"children-0-given_name": "Amina", "children-1-given_name": "", "children-1-age": "x"}
    response = post_form(client, "/inquiries/new", data)
    assert response.status_code == 400
    assert "not a whole number" in response.get_data(as_text=True)
    assert count(app, Inquiry) == 0 and count(app, SoughtChild) == 0


def test_other_agencies_records_are_not_found(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    client = as_role("registrar")
    location = post_form(client, "/children/new", CHILD).headers["Location"]
    other = as_role("other_caseworker")
    assert other.get(location).status_code == 404
    assert other.get(location + "/edit").status_code == 404


def test_edit_a_sought_child(app: Flask, as_role: Callable[[str], FlaskClient]) -> None:
    client = as_role("helpdesk")
    location = post_form(
        client,
        "/inquiries/new",
        {"inquirer_name": "Halima Adam", "children-0-given_name": "Amina", "children-0-age": "6"},
    ).headers["Location"]
    with app.app_context():
        sought = get_session().scalars(select(SoughtChild)).one()
        sought_id = sought.id
    edit = f"{location}/sought/{sought_id}/edit"
    assert 'value="Amina"' in client.get(edit).get_data(as_text=True)
    bad = post_form(client, edit, {"given_name": "Amina", "age": "40"})
    assert bad.status_code == 400 and "outside 0–25" in bad.get_data(as_text=True)
    assert post_form(client, edit, {"given_name": "Aminah", "age": "6"}).status_code == 302
    with app.app_context():
        sought = get_session().get(SoughtChild, sought_id)
        assert sought is not None and (sought.given_name, sought.revision) == ("Aminah", 2)
    assert as_role("other_caseworker").get(edit).status_code == 404


# A whole 1 x 1 PNG (a PNG signature before broken pixel data is refused: item 3).
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
    "0000000d49444154789c63389162f41f0005b4025e1f3afbcb0000000049454e44ae426082"
)


def test_photo_upload_is_checked_stored_and_served_to_the_agency_only(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    import io

    from ...conftest import csrf_token_from

    client = as_role("registrar")

    def submit(data: bytes, name: str) -> object:
        token = csrf_token_from(client.get("/children/new").get_data(as_text=True))
        return client.post(
            "/children/new",
            data={**CHILD, "csrf_token": token, "photo": (io.BytesIO(data), name)},
            content_type="multipart/form-data",
        )

    fake = submit(b"<html>not an image</html>", "photo.png")
    assert fake.status_code == 400 and "JPEG or PNG image" in fake.get_data(as_text=True)
    assert count(app, ChildRegistration) == 0
    response = submit(PNG, "amina.png")
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'alt="Photo of the child"' in page
    photo = client.get(response.headers["Location"] + "/photo")
    # re-encoded from its pixels: the same 1 x 1 PNG image, not the same bytes
    assert photo.status_code == 200 and _image(photo.data)[:2] == ("PNG", (1, 1))
    photo.close()
    assert (
        as_role("other_caseworker").get(response.headers["Location"] + "/photo").status_code == 404
    )


def _image(data: bytes) -> tuple[str, tuple[int, int], dict[int, object]]:
    """(format, size, EXIF tags) of an image's bytes."""
    import io

    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return str(image.format), image.size, dict(image.getexif())


def _jpeg_with_gps(width: int = 2400, height: int = 1200) -> bytes:
    """A phone's photo: a JPEG whose EXIF holds where it was taken."""
    import io

    from PIL import Image

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (13.0, 27.0, 0.0), 3: "E", 4: (22.0, 26.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    Image.new("RGB", (width, height), (120, 90, 60)).save(out, "JPEG", exif=exif)
    return out.getvalue()


def _upload(client: FlaskClient, path: str, data: bytes, name: str) -> object:
    import io

    from ...conftest import csrf_token_from

    token = csrf_token_from(client.get(path).get_data(as_text=True))
    return client.post(
        path,
        data={**CHILD, "csrf_token": token, "photo": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
    )


def test_item_3_photo_gps_metadata_is_stripped_and_size_normalised(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    original = _jpeg_with_gps()
    assert 0x8825 in _image(original)[2]
    client = as_role("caseworker")
    response = _upload(client, "/children/new", original, "IMG_0001.jpg")
    assert response.status_code == 302  # type: ignore[attr-defined]
    served = client.get(response.headers["Location"] + "/photo")  # type: ignore[attr-defined]
    kind, size, exif = _image(served.data)
    served.close()
    assert kind == "JPEG" and max(size) == 1600 and size == (1600, 800)
    assert exif == {}  # no GPS, no camera, nothing but pixels
    assert b"PhoneMaker" not in served.data


def test_item_3_a_jpeg_header_before_html_is_refused(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    response = _upload(
        as_role("registrar"), "/children/new", b"\xff\xd8\xff<html>x</html>", "a.jpg"
    )
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "JPEG or PNG image" in response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert count(app, ChildRegistration) == 0


def test_item_3_a_replaced_photo_is_deleted(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    from pathlib import Path

    folder = Path(app.config["PHOTO_FOLDER"])
    client = as_role("caseworker")
    response = _upload(client, "/children/new", _jpeg_with_gps(40, 30), "first.jpg")
    location = response.headers["Location"]  # type: ignore[attr-defined]
    first = {p.name for p in folder.iterdir()}
    assert len(first) == 1
    edited = _upload(client, location + "/edit", PNG, "second.png")
    assert edited.status_code == 302  # type: ignore[attr-defined]
    second = {p.name for p in folder.iterdir()}
    assert len(second) == 1 and second != first and next(iter(second)).endswith(".png")


def test_item_3_a_phones_two_picture_jpeg_is_a_photo(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    """Phones write JPEGs holding a second picture (MPO): the first is the photo."""
    import io

    from PIL import Image

    out = io.BytesIO()
    first, second = Image.new("RGB", (64, 48), "red"), Image.new("RGB", (64, 48), "blue")
    first.save(out, "MPO", save_all=True, append_images=[second])
    client = as_role("caseworker")
    response = _upload(client, "/children/new", out.getvalue(), "IMG_0002.jpg")
    assert response.status_code == 302  # type: ignore[attr-defined]
    served = client.get(response.headers["Location"] + "/photo")  # type: ignore[attr-defined]
    assert _image(served.data)[:2] == ("JPEG", (64, 48))
    served.close()


def test_item_3_a_decompression_bomb_is_refused_not_decoded(
    app: Flask, as_role: Callable[[str], FlaskClient]
) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    # a tiny PNG whose header claims 20,000 x 20,000 pixels
    header = struct.pack(">IIBBBBB", 20_000, 20_000, 8, 2, 0, 0, 0)
    bomb = b"\\x89PNG\\r\\n\\x1a\\n" + chunk(b"IHDR", header) + chunk(b"IEND", b"")
    response = _upload(as_role("registrar"), "/children/new", bomb, "bomb.png")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert count(app, ChildRegistration) == 0
