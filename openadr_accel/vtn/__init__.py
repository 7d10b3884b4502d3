"""The VTN role: an OpenADR 2.0b server (registration, events, opt, reports; pull and push).

Start with :class:`VTN`; the pieces it is made of are importable for those who assemble their own.
"""

from .config import VtnConfig
from .events import Baseline, Signal, VtnEvents
from .handlers import Peer, VtnHandlers
from .opt import VtnOpts
from .policies import Accept, AllowedVen, AllowList, OpenRegistration, RegistrationPolicy, Reject
from .registration import VtnRegistrations
from .reports import VtnReports, report_request
from .server import VTN
from .store import Store

__all__ = [
    "VTN",
    "Accept",
    "AllowList",
    "AllowedVen",
    "OpenRegistration",
    "Peer",
    "RegistrationPolicy",
    "Reject",
    "Baseline",
    "Signal",
    "Store",
    "VtnConfig",
    "VtnEvents",
    "VtnHandlers",
    "VtnOpts",
    "VtnRegistrations",
    "VtnReports",
    "report_request",
]
