"""Who may call a route: each audience a name, its roles written once, for every service. A route
names its audience (`principal: CaseWorker`); which of its readers sees which object is the
object-level rule of `common.access` and the domains. Admin is in every audience.

| audience | roles |
|---|---|
| `Anyone` | every role, programs included |
| `Staff` | every role but the partner systems |
| `Admin` | the system's administrator |
| `Dispatcher` | the command centre's dispatchers |
| `CommandCentre` | dispatchers and supervisors: every squad's details |
| `SquadMember`, `SquadLeader` | a squad's officers and leader; its leader |
| `RosterKeeper` | who rosters officers at patrol posts: squad leaders, dispatchers |
| `PostEditor` | who defines patrol posts: dispatchers |
| `Reporter` | who files incidents: hotline, field monitors, command centre (信访 领导交办 舆情 with 督查), partners |
| `IncidentReader` | who reads incidents: the above, supervisors and squads (their own) |
| `Hotline` | who calls reporters back (回访): the hotline, the command centre |
| `Replier` | who records a 回访: the above, and an upstream system for its own orders (12345) |
| `Monitor` | field monitors |
| `Partner` | partner systems (cameras, IoT, 12345) |
| `CaseWorker` | who takes a case's steps: the command centre, squads, field monitors |
| `CaseReader` | who reads cases: case workers, the legal section, the bureau's leaders, partner systems |
| `AreaReader` | who lists and reads cases: the above, and 办事处 staff (their grids) |
| `LegalSection` | who keeps the 权责清单 and its 裁量基准: the legal section (法制科) |
| `CaptureReviewer` | who reviews a capture camera's records (art. 41): the command centre, the legal section |
| `PenaltyApprover` | who gives a penalty's approvals: squads, the legal section, the bureau's leaders |
| `PowerReader` | who reads the 权责清单: staff |
| `DossierReader` | who reads a penalty's approvals and 笔录: the command centre, squads, the legal section, leaders |
| `BoardReader` | who reads assignments and the board: the command centre, squads, partner systems |
| `ReportReader` | who reads the indicators: the command centre and squad leaders (their own) |
| `Clerk` | who keeps the registers: 台账管理员 |
| `Keeper` | who reads the registers whole: clerks and supervisors |
| `RegisterReader` | who looks merchants and the shelter up: keepers, the command centre, squads |
| `FieldWorker` | who records on the street: clerks and squads |
| `Approver` | who approves for the bureau: supervisors |
| `CampaignPlanner` | who launches, changes, closes campaigns, accepts sections: supervisors (for the leaders) |
| `CampaignRecorder` | who records a campaign's operations: the command centre, squad leaders (their own squad's) |
| `CampaignReader` | who reads campaigns: the command centre, squads, 办事处 staff (their own) |
| `BuildingKeeper` | who moves the illegal buildings' register: the command centre, squads (their own) |
| `OrderReader` | who reads 督办单: board readers, and 办事处 staff (those sent to their office) |
| `OrderAnswerer` | who answers one: squads (their own), 办事处 staff (those sent to their office) |
| `NoticeReader` | who reads 责改通知书: the command centre, and the offices and squad leaders (their own) |
| `NoticeAnswerer` | who answers one: 办事处 staff and squad leaders (their own unit's) |
| `BuildingReader` | who reads it: the above, and 办事处 staff (their area) |
| `LicenceFinder` | who finds a dog licence: register readers and partner systems |
| `OwnerContact` | who reads a dog owner's phone: clerks, and a program given the dog-owner-contact scope |
| `DeviceVendor` | who sends devices' readings: a device vendor's platform given the device-vendor scope |
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from common.access import DEVICE_VENDOR, DOG_OWNER_CONTACT
from common.auth import require_roles
from common.principal import Principal, Role

R = Role
ALL = tuple(Role)
STAFF = tuple(r for r in Role if r != R.external_system)
SQUADS = (R.squad_officer, R.squad_leader)
COMMAND_CENTRE = (R.dispatcher, R.supervisor)
KEEPERS = (R.ledger_clerk, R.supervisor)
REGISTER_READERS = (*KEEPERS, R.dispatcher, *SQUADS)
CASE_WORKERS = (*COMMAND_CENTRE, *SQUADS, R.field_monitor)
LEGAL = (R.legal_officer, R.bureau_leader)
REPORTERS = (R.hotline_operator, R.field_monitor, R.dispatcher, R.supervisor, R.external_system)


Anyone = Annotated[Principal, Depends(require_roles(*ALL))]
Staff = Annotated[Principal, Depends(require_roles(*STAFF))]
Admin = Annotated[Principal, Depends(require_roles(R.admin))]
Dispatcher = Annotated[Principal, Depends(require_roles(R.dispatcher))]
CommandCentre = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE))]
SquadMember = Annotated[Principal, Depends(require_roles(*SQUADS))]
SquadLeader = Annotated[Principal, Depends(require_roles(R.squad_leader))]
RosterKeeper = Annotated[Principal, Depends(require_roles(R.squad_leader, R.dispatcher))]
PostEditor = Annotated[Principal, Depends(require_roles(R.dispatcher))]
Reporter = Annotated[Principal, Depends(require_roles(*REPORTERS))]
IncidentReader = Annotated[Principal, Depends(require_roles(*REPORTERS, R.supervisor, *SQUADS))]
Hotline = Annotated[Principal, Depends(require_roles(R.hotline_operator, R.dispatcher))]
Replier = Annotated[Principal, Depends(require_roles(R.hotline_operator, R.dispatcher, R.external_system))]
Monitor = Annotated[Principal, Depends(require_roles(R.field_monitor))]
Partner = Annotated[Principal, Depends(require_roles(R.external_system))]
CaseWorker = Annotated[Principal, Depends(require_roles(*CASE_WORKERS))]
CaseReader = Annotated[Principal, Depends(require_roles(*CASE_WORKERS, *LEGAL, R.external_system))]
AreaReader = Annotated[Principal, Depends(require_roles(*CASE_WORKERS, *LEGAL, R.external_system, R.office_staff))]
LegalSection = Annotated[Principal, Depends(require_roles(R.legal_officer))]
CaptureReviewer = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, R.legal_officer))]
PenaltyApprover = Annotated[Principal, Depends(require_roles(*SQUADS, *LEGAL))]
PowerReader = Staff
DossierReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, *LEGAL))]
BoardReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, R.external_system))]
BoardStreamer = Annotated[
    Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, R.external_system, query_token=True))
]
ReportReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, R.squad_leader))]
Clerk = Annotated[Principal, Depends(require_roles(R.ledger_clerk))]
Keeper = Annotated[Principal, Depends(require_roles(*KEEPERS))]
RegisterReader = Annotated[Principal, Depends(require_roles(*REGISTER_READERS))]
FieldWorker = Annotated[Principal, Depends(require_roles(R.ledger_clerk, *SQUADS))]
Approver = Annotated[Principal, Depends(require_roles(R.supervisor))]
LicenceFinder = Annotated[Principal, Depends(require_roles(*REGISTER_READERS, R.external_system))]
OwnerContact = Annotated[
    Principal, Depends(require_roles(R.ledger_clerk, R.external_system, program_scope=DOG_OWNER_CONTACT))
]
CampaignPlanner = Annotated[Principal, Depends(require_roles(R.supervisor))]
CampaignRecorder = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, R.squad_leader))]
CampaignReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, R.office_staff))]
BuildingKeeper = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS))]
BuildingReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, R.office_staff))]
NoticeReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, R.squad_leader, R.office_staff))]
NoticeAnswerer = Annotated[Principal, Depends(require_roles(R.squad_leader, R.office_staff))]
OrderReader = Annotated[Principal, Depends(require_roles(*COMMAND_CENTRE, *SQUADS, R.external_system, R.office_staff))]
OrderAnswerer = Annotated[Principal, Depends(require_roles(*SQUADS, R.office_staff))]
DeviceVendor = Annotated[Principal, Depends(require_roles(R.external_system, program_scope=DEVICE_VENDOR))]
