"""Institutions, their units and people, who sits in which lane, and who stands in (Plh.)."""

import datetime as dt
import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

# Who of an institution must sign in with a second factor (TOTP or a passkey).
SECOND_FACTOR_RULES = [
    ("nobody", _("nobody")),
    ("review", _("the people of the review lanes")),
    ("everyone", _("everyone")),
]


class Organization(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=50, blank=True)
    parent = models.CharField(_("ministry or directorate"), max_length=200, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=50, default="Asia/Jakarta")
    # The working calendar (siaran.orgs.calendar): days as weekday digits, Monday = 0.
    workdays = models.CharField(_("working days"), max_length=7, default="01234")
    opens = models.TimeField(_("opens"), default=dt.time(7, 30))
    closes = models.TimeField(_("closes"), default=dt.time(16, 0))
    # Bumped by every change of the calendar (hours or holidays), so that each process
    # rebuilds its cached calendar on the next transition instead of querying each time.
    calendar_version = models.PositiveIntegerField(default=0)
    # Where each night's audit anchor is mailed: the internal control unit (SPI), out of
    # reach of whoever runs the database (siaran.audit.actions.anchor_mail).
    audit_email = models.EmailField(_("address for the audit anchors"), blank=True)
    second_factor = models.CharField(
        _("second factor required for"),
        max_length=10,
        choices=SECOND_FACTOR_RULES,
        default="nobody",
    )
    # Bumped whenever the institution starts running another version of an SOP, so that
    # each process refreshes its table of the institution's running versions
    # (siaran.core.sops.running) on next use instead of querying on every page.
    sops_version = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")

    def __str__(self) -> str:
        return self.short_name or self.name


HOLIDAY_KINDS = [
    ("libur_nasional", _("national holiday")),
    ("cuti_bersama", _("collective leave (cuti bersama)")),
    ("libur_instansi", _("institution's day off")),
]


class Holiday(models.Model):
    """A day the institution does not work: due times skip it."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="holidays"
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=HOLIDAY_KINDS)
    # From Siaran's list ahead of the official decree: the institution should check it.
    estimated = models.BooleanField(default=False)

    class Meta:
        ordering = ["date"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "date"], name="holiday_unique_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class Unit(models.Model):
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="units")
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        verbose_name = _("unit")
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="unit_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


MAIL_MODES = [
    ("immediate", _("a mail for each notification")),
    ("digest", _("one mail a day with all of them")),
]


class Person(models.Model):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="person"
    )
    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="people")
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    name = models.CharField(_("name"), max_length=200)
    nip = models.CharField(_("NIP"), max_length=18, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)  # jabatan
    is_admin = models.BooleanField(_("institution administrator"), default=False)
    # Kept by siaran.notifications.actions, read by the bell on every page at no query:
    # the person is loaded with the user.
    unread_notifications = models.PositiveIntegerField(default=0)
    mail_mode = models.CharField(
        _("notification mail"), max_length=10, choices=MAIL_MODES, default="immediate"
    )
    language = models.CharField(_("language of mails"), max_length=5, default="id")

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")

    def __str__(self) -> str:
        return self.name


class SopVersion(models.Model):
    """One exact text of an SOP file. A case pins the version it started on."""

    sop_id = models.CharField(max_length=64)
    sha256 = models.CharField(max_length=64, unique=True)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.sop_id}@{self.sha256[:8]}"

    @staticmethod
    def digest(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()


class OrgSop(models.Model):
    """An institution runs an SOP."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="sops")
    sop_id = models.CharField(max_length=64)
    active = models.BooleanField(default=True)
    # The version the institution runs now: new cases start on it. None follows the
    # shipped file (or the SIARAN_SOP_DIRS file) of this id, as it is at the time.
    version = models.ForeignKey(
        SopVersion, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who is told when a step of this SOP is overdue; blank: the supervisor's lane
    # (siaran.notifications.rules.escalation_lane).
    escalation_lane = models.CharField(_("escalation lane"), max_length=64, blank=True)
    # The SOP's page and document may be read without signing in (a public institution
    # may publish its SOPs); otherwise only its people read them.
    public = models.BooleanField(_("public"), default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "sop_id"], name="orgsop_unique")
        ]

    def __str__(self) -> str:
        return f"{self.organization} · {self.sop_id}"


SOP_SOURCES = [("shipped", _("shipped with Siaran")), ("upload", _("uploaded file"))]


class SopInstall(models.Model):
    """One installation of an SOP version at an institution: who, when, from where.

    The history the operator's page lists and compares; `OrgSop.version` says which one
    new cases start on."""

    org_sop = models.ForeignKey(OrgSop, on_delete=models.CASCADE, related_name="installs")
    version = models.ForeignKey(SopVersion, on_delete=models.PROTECT, related_name="installs")
    source = models.CharField(max_length=10, choices=SOP_SOURCES)
    file_name = models.CharField(max_length=200, blank=True)
    installed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True
    )
    installed_at = models.DateTimeField()

    class Meta:
        ordering = ["-installed_at", "-pk"]


class LaneMember(models.Model):
    """A person sits in a lane of an SOP their institution runs."""

    org_sop = models.ForeignKey(OrgSop, on_delete=models.CASCADE, related_name="members")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="lanes")
    lane_id = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org_sop", "person", "lane_id"], name="lanemember_unique"
            )
        ]


class Acting(models.Model):
    """Plh./Plt.: `person` stands in for `for_person`'s lanes from `starts` to `ends`."""

    KINDS = [("plh", "Plh."), ("plt", "Plt.")]
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="acting_as")
    for_person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="stood_in_by")
    kind = models.CharField(max_length=3, choices=KINDS, default="plh")
    starts = models.DateField(_("from"))
    ends = models.DateField(_("until"))
    note = models.CharField(_("letter or note"), max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends__gte=models.F("starts")), name="acting_dates_in_order"
            )
        ]


class Invitation(models.Model):
    """A single-use link that lets someone make their own login and join an institution.

    Only the SHA-256 of the link's token is kept, so a database leak reveals no link. What
    the administrator already knows of the person (name, NIP, title, unit, lane seats) is
    kept here and given to the person on acceptance."""

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("e-mail address"))  # stored lower-case
    name = models.CharField(_("name"), max_length=200, blank=True)
    nip = models.CharField(_("NIP"), max_length=18, blank=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    unit = models.ForeignKey(Unit, on_delete=models.SET_NULL, null=True, blank=True)
    is_admin = models.BooleanField(_("institution administrator"), default=False)
    # [[sop_id, lane_id], ...]: the seats the person takes on acceptance.
    seats = models.JSONField(default=list, blank=True)
    # None: the operator (`siaran invite`).
    invited_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    token_digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    # Set once the mail left: an invitation without it needs sending again.
    mailed_at = models.DateTimeField(null=True, blank=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        Person, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        constraints = [
            # One open invitation per address and institution: sending again replaces it.
            models.UniqueConstraint(
                fields=["organization", "email"],
                condition=models.Q(accepted_at=None, revoked_at=None),
                name="invitation_one_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.email} → {self.organization}"

    @staticmethod
    def digest_of(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    @property
    def is_open(self) -> bool:
        from django.utils import timezone

        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )
