"""The transfer form of a case page, shared by the registrations' and inquiries' pages."""

from __future__ import annotations

from collections.abc import Callable

from flask import abort, flash, redirect, request
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import SelectChoice

from models import ChildRegistration, Inquiry

from ..access import may_transfer
from ..db import get_session
from ..errors import NotAllowed, NotFound, ServiceError
from . import transfers
from .forms import TransferForm


def transfer_form(record: ChildRegistration | Inquiry) -> TransferForm | None:
    """The transfer form of a case page, for those who may transfer the case only."""
    if not may_transfer(current_user.user, record):
        return None
    form = TransferForm()
    targets = transfers.transfer_targets(get_session(), current_user.user)
    form.to_agency.choices = [SelectChoice(a.id, a.name) for a in targets]
    return form


def transferred(
    transfer: Callable[..., ChildRegistration | Inquiry],
    record_id: int,
    case_page: str,
    home_page: str,
) -> Response:
    """Run a transfer from a case page's form: to the agency's list on success (the case
    is the other agency's now), back to the case page with the refusal otherwise."""
    form = TransferForm()
    back = redirect(case_page)
    if not form.validate_on_submit() or form.to_agency.data is None:
        flash("Choose an agency and give a reason for the transfer.", "error")
        return back
    try:
        record = transfer(
            get_session(),
            current_user.user,
            record_id,
            form.to_agency.data,
            form.reason.data or "",
            ip=request.remote_addr,
        )
    except NotFound:
        abort(404)
    except NotAllowed:
        abort(403)
    except ServiceError as exc:
        flash(str(exc), "error")
        return back
    flash(f"{record.ref} transferred to {record.agency.name}.", "success")
    return redirect(home_page)
