"""The FTR store: SQLAlchemy 2 typed models with PostGIS geography (DESIGN §1)."""

from .agency import Agency, Referral, Role, User
from .audit import AuditEvent
from .base import Base
from .casework import FollowUp, FollowUpKind
from .child import CaseStatus, ChildRegistration
from .inquiry import Inquiry, SoughtChild
from .linkage import LinkageModel
from .match import MatchStatus, PotentialMatch

__all__ = [
    "Agency",
    "AuditEvent",
    "Base",
    "CaseStatus",
    "ChildRegistration",
    "FollowUp",
    "FollowUpKind",
    "Inquiry",
    "LinkageModel",
    "MatchStatus",
    "PotentialMatch",
    "Referral",
    "Role",
    "SoughtChild",
    "User",
]
