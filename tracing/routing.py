"""URL converters: an id in a URL is a record's id, within PostgreSQL's integer."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import IntegerConverter, Map

MAX_RECORD_ID = 2**31 - 1


class RecordIdConverter(IntegerConverter):
    """`<int:...>` for record ids: 1 to 2**31 - 1. A larger number is no record's id and
    matches no route (404), instead of reaching the database and failing there."""

    def __init__(self, url_map: Map, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("min", 0)
        kwargs.setdefault("max", MAX_RECORD_ID)
        super().__init__(url_map, *args, **kwargs)
