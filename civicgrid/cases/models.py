"""The case kernel's tables: one `Case` row per case of any kind (event, dispute, petition, hazard),
its unit `Assignment`s, its deadline clocks (`CaseDeadline`) and its `TimelineEntry` rows.

Kinds keep their own extra data in their own tables (one-to-one on Case); the kernel never imports
them (see kinds.py). Only `services.py` writes these rows.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from civicgrid.core.deadlines import Clock, Due, Limit, Pause
from civicgrid.core.deadlines import Unit as TimeUnit
from civicgrid.core.models import ScopedModel
from civicgrid.core.scope import ALL, ScopedQuerySet, path_q, scope_paths

from .choices import (
    LIVE_ASSIGNMENT_STATUSES,
    OPEN_CLOCK_STATES,
    VISIBLE_ASSIGNMENT_STATUSES,
    AssignmentRole,
    AssignmentStatus,
    ClockState,
    HandlingLevel,
    PartyKind,
    Priority,
    Supervision,
    TimelineKind,
)

# Actions a unit's members also hold on the cases assigned to their unit, wherever those cases
# lie (a city department handling a case in any county). The member must hold the action through a
# role somewhere: assignment widens where, never what.
ASSIGNMENT_ACTIONS = {
    "cases.view_case": VISIBLE_ASSIGNMENT_STATUSES,
    "cases.handle_case": LIVE_ASSIGNMENT_STATUSES,
}


OPEN = Q(closed_at__isnull=True)  # the condition of the partial indexes over open cases


# Confidential cases (检举控告 petitions, 信访工作条例 Art.30): visible only to holders of this
# permission over the case's place, and never through an assignment (the accused's unit must not
# reach them by being dispatched to).
CONFIDENTIAL_PERMISSION = "cases.view_confidential_case"


def confidential_guard(user, by_paths: Q, by_assignment: Q | None = None, *, paths_q=None) -> Q:
    """The condition a scope becomes once confidential cases are taken out: ordinary cases through
    the user's paths or unit (`by_paths | by_assignment`), confidential ones only where the user
    also holds CONFIDENTIAL_PERMISSION. Confidential cases are few and indexed
    (`case_confidential`), so the test is a `NOT IN` over a handful of ids and every queue keeps
    its covering index. `paths_q(paths)` builds a path condition (queues: ranges on SQLite)."""
    secret_ids = Case.objects.filter(confidential=True).values("pk")
    ordinary = by_paths if by_assignment is None else (by_paths | by_assignment)
    secret = scope_paths(user, CONFIDENTIAL_PERMISSION)
    if not secret:
        return ~Q(pk__in=secret_ids) & ordinary
    # Never a confidential case on which the reader is a party (an inspector accused).
    own = _own_confidential_ids(user)
    seen = Q(pk__in=secret_ids) & by_paths
    if secret is not ALL:
        build = paths_q or (lambda ps: path_q(Case.scope_path_field, ps))
        seen &= build(secret)
    if own is not None:
        seen &= ~Q(pk__in=own)
    return (~Q(pk__in=secret_ids) & ordinary) | seen


def _own_confidential_ids(user):
    """The confidential cases on which `user` (by their ID number) is a party, as a subquery; None
    for a user without an ID number on record."""
    number = getattr(user, "id_card", "") or ""
    if not number:
        return None
    from .digests import person_digest

    return CaseParty.objects.filter(id_digest=person_digest(number), case__confidential=True).values(
        "case_id"
    )


def is_party_to(user, case) -> bool:
    """Whether `user` (by their ID number) is a party to `case`."""
    number = getattr(user, "id_card", "") or ""
    if not number:
        return False
    from .digests import person_digest

    return CaseParty.objects.filter(case_id=case.pk, id_digest=person_digest(number)).exists()


class CaseQuerySet(ScopedQuerySet):
    def restrict(self, user, action: str):
        """Cases under the user's paths for `action`, OR — for view and handle — cases assigned to
        the user's unit (pending/accepted; for viewing also objected and done), wherever they lie.
        Confidential cases only where the user also holds CONFIDENTIAL_PERMISSION (never through
        an assignment)."""
        paths = scope_paths(user, action)
        if paths is ALL:
            return self
        if not paths:
            return self.none()
        condition = path_q(self.model.scope_path_field, paths)
        unit_id = getattr(user, "unit_id", None)
        statuses = ASSIGNMENT_ACTIONS.get(action)
        assigned_q = None
        if statuses and unit_id:
            assigned = Assignment.objects.filter(unit_id=unit_id, status__in=statuses).values("case_id")
            assigned_q = Q(pk__in=assigned)
        return self.filter(confidential_guard(user, condition, assigned_q))

    def open(self):
        return self.filter(closed_at__isnull=True)


class Case(ScopedModel):
    """A case of any kind: what happened, where, who handles it, at which level, its status in its
    kind's workflow and its supervision. Written only by `cases.services`; every write bumps
    `version` (optimistic concurrency: a service given a stale version refuses with "conflict").

    `path` is the case's scope: the grid's path when the case lies in a grid, otherwise its area's.
    `due_at`/`warn_at` mirror the earliest running clock, so inbox queues filter on Case alone."""

    kind = models.CharField(_("类型"), max_length=30)
    number = models.CharField(_("编号"), max_length=40, unique=True)
    title = models.CharField(_("标题"), max_length=200)
    description = models.TextField(_("描述"), blank=True)
    status = models.CharField(_("状态"), max_length=30)
    priority = models.CharField(_("紧急程度"), max_length=10, choices=Priority.choices, default=Priority.LOW)
    area = models.ForeignKey(
        "areas.Area", verbose_name=_("所在区划"), on_delete=models.PROTECT, related_name="cases"
    )
    grid = models.ForeignKey(
        "areas.Grid",
        verbose_name=_("网格"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    path = models.CharField(_("路径"), max_length=100)
    lon = models.FloatField(_("经度"), null=True, blank=True, help_text=_("WGS-84"))
    lat = models.FloatField(_("纬度"), null=True, blank=True, help_text=_("WGS-84"))
    handling_level = models.CharField(
        _("办理层级"), max_length=10, choices=HandlingLevel.choices, default=HandlingLevel.VILLAGE
    )
    lead_unit = models.ForeignKey(
        "accounts.Unit",
        verbose_name=_("主办单位"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="led_cases",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("创建人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="created_cases",
    )
    opened_at = models.DateTimeField(_("创建时间"))
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True)
    version = models.PositiveIntegerField(_("版本"), default=1)
    supervision = models.CharField(
        _("督办"), max_length=10, choices=Supervision.choices, default=Supervision.NONE
    )
    urge_count = models.PositiveIntegerField(_("催办次数"), default=0)
    last_urged_at = models.DateTimeField(_("最近催办"), null=True, blank=True)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("重复于"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
    )
    plus_ones = models.PositiveIntegerField(_("附议数"), default=0)
    due_at = models.DateTimeField(_("最近截止"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    confidential = models.BooleanField(
        _("保密"),
        default=False,
        help_text=_("仅持有“查看保密案件”权限者可见（如检举控告类信访事项），不因派单而可见"),
    )

    objects = CaseQuerySet.as_manager()
    scope_path_field = "path"

    class Meta:
        verbose_name = _("案件")
        verbose_name_plural = pgettext_lazy("plural", "案件")
        ordering = ["-opened_at", "-id"]
        permissions = [
            ("report_case", _("上报案件")),
            ("register_case", _("立案")),
            ("dispatch_case", _("派遣案件")),
            ("handle_case", _("办理案件")),
            ("verify_case", _("核查案件")),
            ("close_case", _("结案")),
            ("callback_case", _("回访")),
            ("urge_case", _("催办")),
            ("supervise_case", _("督办")),
            ("approve_extension", _("审批延期")),
            ("escalate_case", _("上报上级")),
            ("view_confidential_case", _("查看保密案件")),
        ]
        indexes = [
            # Prefix search on the scope path (LIKE 'x%'): pattern ops on PostgreSQL.
            models.Index(fields=["path"], name="case_path_prefix", opclasses=["varchar_pattern_ops"]),
            models.Index(fields=["kind", "status"], name="case_kind_status"),
            # No full index leads with closed_at: SQLite's statistics see closed_at as nearly
            # unique (a time), so it took `closed_at IS NULL` (≈ 1 % of a city's cases, ~100,000
            # rows at 5M) for a one-row equality and read every open case's table row through such
            # an index instead of the covering partial ones below (docs/scaling.md).
            models.Index(fields=["supervision", "closed_at"], name="case_supervision"),
            models.Index(fields=["opened_at"], name="case_opened"),
            # Inbox queues read open cases only (≈ 1 % of a city's cases after a few years): partial
            # indexes over them, so a queue's page and count never touch the closed millions.
            models.Index(fields=["opened_at", "id"], name="case_open_new", condition=OPEN),
            # Covers every column the six queue conditions read, and the id they count: the tab
            # counts scan it alone (an index-only scan on PostgreSQL). closed_at (always NULL here)
            # is in the columns too: SQLite counts an index as covering only when it holds every
            # column the query names, the partial index's own condition included.
            models.Index(
                fields=[
                    "kind",
                    "status",
                    "path",
                    "due_at",
                    "warn_at",
                    "supervision",
                    "handling_level",
                    "closed_at",
                    "id",
                ],
                name="case_open_status",
                condition=OPEN,
            ),
            # The clock and supervised queues' (capped) counts read these alone: an index-only scan
            # on PostgreSQL needs the id the assignment branch tests, SQLite the partial
            # conditions' columns.
            models.Index(
                fields=["due_at", "warn_at", "path", "closed_at", "id"],
                name="case_open_clock",
                condition=OPEN,
            ),
            models.Index(
                fields=["opened_at", "path", "supervision", "closed_at", "id"],
                name="case_open_supervised",
                condition=OPEN & ~Q(supervision=Supervision.NONE),
            ),
            # Assessment: the backlog at a period end — closed at/after it (this index; any range
            # on closed_at implies NOT NULL on both databases), or open (case_open_new).
            models.Index(
                fields=["closed_at", "opened_at"],
                name="case_closed_opened",
                condition=Q(closed_at__isnull=False),
            ),
            # Likely duplicates at intake: open cases in a small lat/lon box (events.duplicates).
            models.Index(fields=["lat", "lon"], name="case_open_place", condition=OPEN),
            # The few confidential cases, for the scope's NOT IN (confidential_guard).
            models.Index(fields=["id"], name="case_confidential", condition=Q(confidential=True)),
        ]

    def __str__(self):
        return f"{self.number} {self.title}"

    @property
    def is_open(self) -> bool:
        return self.closed_at is None


class CaseNumberSequence(models.Model):
    """The last serial handed out per (kind, prefix) — e.g. ("event", "2026338001"). Locked with
    SELECT … FOR UPDATE while a number is drawn, so two cases never get the same number."""

    kind = models.CharField(max_length=30)
    prefix = models.CharField(max_length=30)
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("编号计数器")
        verbose_name_plural = pgettext_lazy("plural", "编号计数器")
        constraints = [models.UniqueConstraint(fields=["kind", "prefix"], name="unique_case_sequence")]

    def __str__(self):
        return f"{self.kind}:{self.prefix}#{self.last_value}"


class Assignment(models.Model):
    """A unit's share of a case: the lead (主办) or a co-handler (协办). Pending until the unit
    accepts (签收) or objects (派单异议); a `designated` assignment (指定) cannot be objected to or
    returned. A new dispatch withdraws the live assignments it replaces."""

    case = models.ForeignKey(
        Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="assignments"
    )
    unit = models.ForeignKey(
        "accounts.Unit", verbose_name=_("单位"), on_delete=models.PROTECT, related_name="case_assignments"
    )
    role = models.CharField(_("角色"), max_length=10, choices=AssignmentRole.choices)
    status = models.CharField(
        _("状态"), max_length=10, choices=AssignmentStatus.choices, default=AssignmentStatus.PENDING
    )
    designated = models.BooleanField(_("指定承办"), default=False, help_text=_("指定的单位不得退回"))
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("派遣人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    assigned_at = models.DateTimeField(_("派遣时间"))
    accepted_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    objection_reason = models.TextField(_("异议理由"), blank=True)

    class Meta:
        verbose_name = _("派遣")
        verbose_name_plural = pgettext_lazy("plural", "派遣")
        ordering = ["assigned_at", "id"]
        indexes = [
            # A unit's assignments by status, with the case id in the index (the scope subquery
            # `case_id IN (… unit = u AND status IN …)` reads the index alone).
            models.Index(fields=["unit", "status", "case"], name="assignment_unit_status_case"),
            models.Index(fields=["case", "unit", "status"], name="assignment_case_unit"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case"],
                condition=Q(role=AssignmentRole.LEAD, status__in=LIVE_ASSIGNMENT_STATUSES),
                name="one_live_lead_per_case",
            ),
            models.UniqueConstraint(
                fields=["case", "unit"],
                condition=Q(status__in=LIVE_ASSIGNMENT_STATUSES),
                name="one_live_assignment_per_unit",
            ),
        ]

    def __str__(self):
        return f"{self.case_id} → {self.unit_id} ({self.role}, {self.status})"


class CaseUnit(models.Model):
    """Derived: for an OPEN case, each unit whose assignment widens who may view it (an assignment
    in VISIBLE_ASSIGNMENT_STATUSES). The inbox queues reach a unit's cases through these few rows
    (open cases only) instead of the unit's whole assignment history (hundreds of thousands of
    finished assignments after some years). Closed cases have none.

    Kept by `services.sync_case_units` at the end of every kernel write (`_finish`, `do_open_case`)
    and rebuilt by `services.rebuild_case_units` (migration 0004, `manage.py rebuild_case_units`,
    the bulk import for the cases it writes: see docs/scaling.md). Never edited by hand."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+", db_index=False)
    unit = models.ForeignKey("accounts.Unit", on_delete=models.CASCADE, related_name="+", db_index=False)

    class Meta:
        verbose_name = _("案件可见单位")
        verbose_name_plural = pgettext_lazy("plural", "案件可见单位")
        indexes = [models.Index(fields=["case", "unit"], name="caseunit_case")]
        constraints = [models.UniqueConstraint(fields=["unit", "case"], name="caseunit_unit_case")]

    def __str__(self):
        return f"{self.case_id} ← {self.unit_id}"


class CaseDeadline(models.Model):
    """One clock of a case ("response", "handling", "objection", …): the parts the deadline engine
    needs to recompute it (start, limit, extensions, pauses) and the result (`due_at`, `due_date`,
    `provisional`). Recomputed whenever a part changes or a holiday schedule is entered.

    `warn_at` is when the case turns yellow (a share of the span, CIVICGRID_DEADLINE_WARN_SHARE);
    `warned_at`/`overdue_at` record when the timer worker announced yellow and red, so it
    announces each once. At most one open (running or paused) clock per name and case."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="deadlines")
    name = models.CharField(_("时限"), max_length=30)
    amount = models.PositiveIntegerField(_("时限数"))
    unit = models.CharField(_("单位"), max_length=15, choices=[(u.value, u.value) for u in TimeUnit])
    max_extension = models.PositiveIntegerField(_("最多延期"), default=0)
    started_at = models.DateTimeField(_("开始时间"))
    start_day = models.DateField(_("起算日"))
    extensions = models.JSONField(_("已批延期"), default=list, blank=True)
    extension_granted = models.PositiveIntegerField(_("已延期合计"), default=0)
    pending_extension = models.PositiveIntegerField(_("申请延期"), null=True, blank=True)
    pending_extension_reason = models.TextField(_("延期理由"), blank=True)
    pauses = models.JSONField(_("暂停区间"), default=list, blank=True)
    due_at = models.DateTimeField(_("截止时间"))
    due_date = models.DateField(_("截止日"))
    provisional = models.BooleanField(_("暂定"), default=False)
    unknown_years = models.JSONField(_("未公布年份"), default=list, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=ClockState.choices, default=ClockState.RUNNING)
    stopped_at = models.DateTimeField(_("停止时间"), null=True, blank=True)
    warn_at = models.DateTimeField(_("预警时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("已黄牌"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("已红牌"), null=True, blank=True)

    class Meta:
        verbose_name = _("期限")
        verbose_name_plural = pgettext_lazy("plural", "期限")
        ordering = ["started_at", "id"]
        indexes = [
            models.Index(fields=["state", "due_at"], name="deadline_state_due"),
            models.Index(fields=["provisional", "state"], name="deadline_provisional"),
            # Assessment: the last response clock of a case (covering: the state is in the index)
            # and whether a handling clock was missed (a small partial index).
            models.Index(
                fields=["case", "name", "started_at", "id", "state"], name="deadline_case_name_start"
            ),
            models.Index(
                fields=["case"],
                name="deadline_missed_handling",
                condition=Q(name="handling", state=ClockState.MISSED),
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["case", "name"],
                condition=Q(state__in=OPEN_CLOCK_STATES),
                name="one_open_clock_per_name",
            )
        ]

    def __str__(self):
        return f"{self.case_id}:{self.name} → {self.due_date}"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_CLOCK_STATES

    def period_text(self, amount: int | None = None) -> str:
        """The limit (or another amount in its unit) in words: "5 个工作日" / "5 working days"."""
        n = self.amount if amount is None else amount
        texts = {
            "days": ngettext("%(n)d 日", "%(n)d 日", n),
            "working_days": ngettext("%(n)d 个工作日", "%(n)d 个工作日", n),
            "hours": ngettext("%(n)d 小时", "%(n)d 小时", n),
            "working_hours": ngettext("%(n)d 个工作小时", "%(n)d 个工作小时", n),
        }
        return texts.get(self.unit, "%(n)d") % {"n": n}

    @property
    def period_display(self) -> str:
        return self.period_text()

    @property
    def extension_display(self) -> str:
        return self.period_text(self.extension_granted) if self.extension_granted else ""

    @property
    def pending_extension_display(self) -> str:
        return self.period_text(self.pending_extension) if self.pending_extension else ""

    def to_clock(self) -> Clock:
        """The engine's immutable Clock rebuilt from the stored parts."""
        pauses = tuple(
            Pause(dt.datetime.fromisoformat(start), dt.datetime.fromisoformat(end) if end else None)
            for start, end in self.pauses
        )
        return Clock(
            start=self.started_at,
            limit=Limit(self.amount, self.unit, max_extension=self.max_extension),
            start_day=self.start_day,
            extensions=tuple(self.extensions),
            pauses=pauses,
        )

    def store_clock(self, clock: Clock) -> None:
        """Copy a Clock's changeable parts (extensions, pauses) back onto the row."""
        self.extensions = list(clock.extensions)
        self.extension_granted = clock.extended_by
        self.pauses = [[p.start.isoformat(), p.end.isoformat() if p.end else None] for p in clock.pauses]

    def store_due(self, due: Due) -> None:
        self.due_at = due.due_at
        self.due_date = due.due_date
        self.provisional = due.provisional
        self.unknown_years = list(due.unknown_years)


class TimelineEntry(models.Model):
    """What people read about a case's history: who did what, from which status to which, with
    their note. Written by `cases.timeline` from inside the service that made the change."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(_("类型"), max_length=30, choices=TimelineKind.choices)
    action = models.CharField(_("操作"), max_length=30, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("操作人"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_status = models.CharField(_("原状态"), max_length=30, blank=True)
    to_status = models.CharField(_("新状态"), max_length=30, blank=True)
    note = models.TextField(_("说明"), blank=True)
    data = models.JSONField(_("数据"), default=dict, blank=True)
    time = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("时间线记录")
        verbose_name_plural = pgettext_lazy("plural", "时间线记录")
        ordering = ["time", "id"]
        indexes = [
            models.Index(fields=["case", "time"], name="timeline_case_time"),
            # The feed of status changes by time (Open311's servicerequestupdates).
            models.Index(
                fields=["time", "id"], name="timeline_transition_time", condition=models.Q(kind="transition")
            ),
        ]

    def __str__(self):
        return f"{self.case_id} {self.kind} {self.action}"


class CaseParty(models.Model):
    """A party to a case, for every kind: a dispute's applicant and respondent (申请人 / 被申请人), a
    petition's petitioners (信访人) and the person or unit complained of (被反映人). `role` is the
    kind's word for the party's place in the case.

    Personal data (name, ID number, phone, address) is shown masked unless the reader holds the
    reveal permission over the case's place; every reveal is written to the access log
    (`cases.parties.do_reveal_party`). `id_digest` is the SM3 digest of the normalised ID number
    or credit code: kinds find "the same person" across cases and levels with it (repeat petitions,
    repeated police calls on the same parties) without reading the numbers. Written only by
    `cases.parties`."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.CASCADE, related_name="parties")
    role = models.CharField(_("身份"), max_length=30)
    kind = models.CharField(_("类别"), max_length=20, choices=PartyKind.choices, default=PartyKind.PERSON)
    name = models.CharField(_("姓名或名称"), max_length=100)
    id_card = models.CharField(_("身份证号"), max_length=18, blank=True)
    org_code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    id_digest = models.CharField(_("证件摘要"), max_length=64, blank=True)
    digest_alg = models.CharField(_("摘要算法"), max_length=16, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    data = models.JSONField(_("其他信息"), default=dict, blank=True)
    created_at = models.DateTimeField(_("登记时间"))

    PERSONAL_FIELDS = {
        "name": "name",
        "id_card": "id_card",
        "phone": "phone",
        "address": "address",
    }

    class Meta:
        verbose_name = _("当事人")
        verbose_name_plural = pgettext_lazy("plural", "当事人")
        ordering = ["case", "id"]
        indexes = [
            models.Index(fields=["id_digest", "case"], name="party_digest", condition=~Q(id_digest="")),
            models.Index(fields=["case", "role"], name="party_case_role"),
        ]

    def __str__(self):
        return f"{self.case_id} {self.role} #{self.pk}"
