"""The FTR store: SQLAlchemy 2 typed models with PostGIS geography (DESIGN §1)."""

from .agency import LIVE_REFERRAL_STATUSES, Agency, Referral, ReferralStatus, Role, User
from .audit import AuditEvent
from .base import Base
from .blocking import ChildBlockKey, ChildBlockProfile, SoughtBlockKey, SoughtBlockProfile
from .casework import FollowUp, FollowUpKind
from .child import CLOSED_STATUSES, CaseStatus, ChildRegistration
from .fitted_engine import LinkageModel
from .inquiry import Inquiry, SoughtChild
from .match import (
    MATCHED_STATUSES,
    NO_MATCH_STATUSES,
    OPEN_MATCH_STATUSES,
    WORKED_MATCH_STATUSES,
    MatchStatus,
    PotentialMatch,
    RankedCandidate,
)
from .rate_limit import RateLimitCounter

__all__ = [
    "CLOSED_STATUSES",
    "LIVE_REFERRAL_STATUSES",
    "MATCHED_STATUSES",
    "NO_MATCH_STATUSES",
    "OPEN_MATCH_STATUSES",
    "WORKED_MATCH_STATUSES",
    "Agency",
    "AuditEvent",
    "Base",
    "CaseStatus",
    "ChildBlockKey",
    "ChildBlockProfile",
    "ChildRegistration",
    "FollowUp",
    "FollowUpKind",
    "Inquiry",
    "LinkageModel",
    "MatchStatus",
    "PotentialMatch",
    "RankedCandidate",
    "RateLimitCounter",
    "Referral",
    "ReferralStatus",
    "Role",
    "SoughtBlockKey",
    "SoughtBlockProfile",
    "SoughtChild",
    "User",
]
