"""Units, users and their roles, and the people the measures name (Art 4, 21-22, 30-31)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class UnitKind(models.TextChoices):
    DEPARTMENT = "department", _("County department")
    TOWNSHIP = "township", _("Township government")
    VILLAGE = "village", _("Village or community")
    BANK = "bank", _("Commercial bank")


class Department(models.TextChoices):
    """The county departments the measures name (SPEC section 1)."""

    TAX = "tax", _("Tax bureau")
    MEDICAL = "medical", _("Medical insurance bureau")
    SOCIAL = "social", _("Human resources and social security bureau")
    FINANCE = "finance", _("Finance bureau")
    CIVIL = "civil", _("Civil affairs bureau")
    REVITAL = "revital", _("Rural revitalisation bureau")
    POLICE = "police", _("Public security bureau")
    JUSTICE = "justice", _("Justice bureau")
    DISABLED = "disabled", _("Disabled persons' federation")
    EDUCATION = "education", _("Education bureau")
    PUBLICITY = "publicity", _("Publicity department")
    PBC = "pbc", _("People's Bank of China")
    DISCIPLINE = "discipline", _("Discipline inspection and supervision commission")
    AUDIT = "audit", _("Audit bureau")


class Unit(models.Model):
    """A party of the measures for whom users act: a department, township, village or bank."""

    code = models.CharField(_("unit code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    # The Uyghur (Arabic-script) name for bilingual notices; the Chinese name stands in when blank.
    name_ug = models.CharField(_("name in Uyghur"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=UnitKind.choices)
    department = models.CharField(_("department"), max_length=12, choices=Department.choices, blank=True)
    division = models.ForeignKey(
        "core.Division", verbose_name=_("division"), on_delete=models.PROTECT, related_name="units"
    )
    parent = models.ForeignKey(
        "self", verbose_name=_("parent unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["kind", "code"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="department", department__gt="") | ~Q(kind="department"),
                name="org_unit_department_named",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    """What a user does for his unit; each role is also a Django group of the same name."""

    STAFF = "staff", _("Staff")
    LEADER = "leader", _("Principal leader")
    SPECIALIST = "specialist", _("Township labour and social-security specialist")
    TOWNSHIP_LEADER = "township_leader", _("Township leader in charge")
    COLLECTOR = "collector", _("Village collection assistant")
    VILLAGE_HEAD = "village_head", _("Village committee head")
    SYSADMIN = "sysadmin", _("System administrator")


class User(AbstractUser):
    """A person who signs in, acting for one unit in one role."""

    unit = models.ForeignKey(
        Unit, verbose_name=_("unit"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.STAFF)
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        return self.full_name or self.username


class ApiToken(models.Model):
    """A token with which another department's system calls the API for its unit (stored hashed)."""

    unit = models.ForeignKey(Unit, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="api_tokens")
    user = models.ForeignKey(User, verbose_name=_("acting user"), on_delete=models.PROTECT, related_name="api_tokens")
    name = models.CharField(_("system name"), max_length=100)
    prefix = models.CharField(_("prefix"), max_length=12, unique=True)
    digest = models.CharField(_("digest"), max_length=64)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class DataContact(models.Model):
    """The person a department designates for data exchange and sharing (Art 22)."""

    unit = models.ForeignKey(Unit, verbose_name=_("department"), on_delete=models.PROTECT, related_name="data_contacts")
    user = models.ForeignKey(User, verbose_name=_("contact"), on_delete=models.PROTECT, related_name="+")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    designated_by = models.ForeignKey(User, verbose_name=_("designated by"), on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("designated data contact")
        verbose_name_plural = _("designated data contacts")
        constraints = [
            models.UniqueConstraint(fields=["unit"], condition=Q(until__isnull=True), name="org_one_current_contact"),
        ]

    def __str__(self) -> str:
        return f"{self.unit}: {self.user}"


class TownshipPost(models.TextChoices):
    LEADER_IN_CHARGE = "leader_in_charge", _("Leader in charge")
    SPECIALIST = "specialist", _("Labour and social-security specialist")


class TownshipAppointment(models.Model):
    """A township's leader in charge (Art 41) or its specialist (Art 31), one current of each."""

    township = models.ForeignKey(
        Unit, verbose_name=_("township"), on_delete=models.PROTECT, related_name="appointments"
    )
    post = models.CharField(_("post"), max_length=20, choices=TownshipPost.choices)
    user = models.ForeignKey(User, verbose_name=_("person"), on_delete=models.PROTECT, related_name="appointments")
    since = models.DateField(_("since"))
    until = models.DateField(_("until"), null=True, blank=True)
    filing = models.ForeignKey(
        "SpecialistFiling", verbose_name=_("prior filing"), null=True, blank=True, on_delete=models.PROTECT
    )

    class Meta:
        verbose_name = _("township appointment")
        verbose_name_plural = _("township appointments")
        constraints = [
            models.UniqueConstraint(
                fields=["township", "post"], condition=Q(until__isnull=True), name="org_one_current_appointment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.township} {self.get_post_display()}: {self.user}"


class SpecialistFiling(models.Model):
    """The township social-security office's prior filing before replacing its specialist (Art 31)."""

    township = models.ForeignKey(Unit, verbose_name=_("township"), on_delete=models.PROTECT, related_name="filings")
    outgoing = models.ForeignKey(
        User, verbose_name=_("outgoing specialist"), on_delete=models.PROTECT, related_name="+"
    )
    incoming = models.ForeignKey(
        User, verbose_name=_("incoming specialist"), on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(_("special circumstances"))
    filed_by = models.ForeignKey(User, verbose_name=_("filed by"), on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("filed at"))
    # Filed to tax, medical insurance and social security alike: a copy for each.
    recipients = models.ManyToManyField(Unit, verbose_name=_("filed with"), related_name="received_filings")
    used_at = models.DateTimeField(_("replacement made at"), null=True, blank=True)

    class Meta:
        verbose_name = _("specialist replacement filing")
        verbose_name_plural = _("specialist replacement filings")

    def __str__(self) -> str:
        return f"{self.township}: {self.outgoing} → {self.incoming}"


class CollectorAuthorisation(models.Model):
    """Tax's authorisation of a village assistant to collect cash (Art 30)."""

    collector = models.ForeignKey(
        User, verbose_name=_("collector"), on_delete=models.PROTECT, related_name="authorisations"
    )
    village = models.ForeignKey(
        Unit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="authorisations"
    )
    granted_by = models.ForeignKey(User, verbose_name=_("granted by"), on_delete=models.PROTECT, related_name="+")
    granted_at = models.DateTimeField(_("granted at"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        User, verbose_name=_("withdrawn by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)
    withdraw_reason = models.TextField(_("reason for withdrawal"), blank=True)

    class Meta:
        verbose_name = _("collector authorisation")
        verbose_name_plural = _("collector authorisations")
        constraints = [
            models.UniqueConstraint(
                fields=["collector", "village"],
                condition=Q(withdrawn_at__isnull=True),
                name="org_one_open_authorisation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.collector} @ {self.village}"


class VillageHandler(models.Model):
    """A person who handles social insurance for a village, published on its notice (Art 31)."""

    village = models.ForeignKey(Unit, verbose_name=_("village"), on_delete=models.PROTECT, related_name="handlers")
    name = models.CharField(_("name"), max_length=60)
    post = models.CharField(_("post"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    duties = models.TextField(_("duties"))
    # The notice is bilingual (Art 31): Uyghur spellings, with the Chinese standing in when blank.
    name_ug = models.CharField(_("name in Uyghur"), max_length=60, blank=True)
    post_ug = models.CharField(_("post in Uyghur"), max_length=60, blank=True)
    duties_ug = models.TextField(_("duties in Uyghur"), blank=True)
    user = models.ForeignKey(
        User, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("village handler")
        verbose_name_plural = _("village handlers")
        ordering = ["village", "order", "id"]

    def __str__(self) -> str:
        return f"{self.village}: {self.name}（{self.post}）"
