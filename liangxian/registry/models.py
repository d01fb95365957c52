"""The residents' register: persons and households, each fact with its source (SPEC section 4)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("Resident identity card")
    PASSPORT = "passport", _("Passport")
    PERMANENT_RESIDENCE = "permanent_residence", _("Foreigner's permanent residence ID card")
    HK_MACAO_RESIDENCE = "hk_macao_residence", _("Residence permit for Hong Kong and Macao residents")
    TAIWAN_RESIDENCE = "taiwan_residence", _("Residence permit for Taiwan residents")


class PersonStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    DECEASED = "deceased", _("Deceased")
    MOVED_AWAY = "moved_away", _("Moved away")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Household(models.Model):
    """A registered household (户) in a village."""

    number = models.CharField(_("household number"), max_length=30, unique=True)
    village = models.ForeignKey("core.Division", verbose_name=_("village"), on_delete=models.PROTECT, related_name="+")
    address = models.CharField(_("address"), max_length=200, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)

    class Meta:
        verbose_name = _("household")
        verbose_name_plural = _("households")

    def __str__(self) -> str:
        return self.number


class Person(models.Model):
    """A resident, with the village that scopes who may see him."""

    id_type = models.CharField(
        _("document type"), max_length=24, choices=DocumentType.choices, default=DocumentType.RESIDENT_ID
    )
    id_number = models.CharField(_("ID number"), max_length=30)
    name = models.CharField(_("name"), max_length=80)
    name_original = models.CharField(_("name as written"), max_length=80, blank=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    household = models.ForeignKey(
        Household, verbose_name=_("household"), null=True, blank=True, on_delete=models.PROTECT, related_name="members"
    )
    relation = models.CharField(_("relation to head"), max_length=20, blank=True)
    # Denormalised division codes: the scope filter is a prefix match on these, never a join.
    township_code = models.CharField(_("township code"), max_length=12, db_index=True)
    village_code = models.CharField(_("village code"), max_length=12, db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=PersonStatus.choices, default=PersonStatus.ACTIVE)
    status_date = models.DateField(_("status since"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=80, blank=True)
    batch = models.CharField(_("load batch"), max_length=40, blank=True, db_index=True)

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("persons")
        constraints = [models.UniqueConstraint(fields=["id_type", "id_number"], name="registry_person_unique_id")]

    def __str__(self) -> str:
        return self.name


class PersonFact(models.Model):
    """The source of one fact about a person: which submission (or correction) set which field to what, when."""

    # No index of its own: the (person, field, current) index below serves every lookup by person.
    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="facts", db_index=False
    )
    field = models.CharField(_("field"), max_length=40)
    value = models.CharField(_("value"), max_length=200, blank=True)
    submission = models.ForeignKey(
        "exchange.Submission",
        verbose_name=_("source submission"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change_request = models.ForeignKey(
        "ChangeRequest",
        verbose_name=_("source correction"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(_("source"), max_length=80, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"))
    current = models.BooleanField(_("current"), default=True)

    class Meta:
        verbose_name = _("person fact")
        verbose_name_plural = _("person facts")
        indexes = [models.Index(fields=["person", "field", "current"])]

    def __str__(self) -> str:
        return f"{self.person_id}.{self.field}={self.value}"


class PersonCategory(models.Model):
    """A list a person appears on (特困, 孤儿, 低保, 返贫监测, 残疾, 学生 …), from the submission in force."""

    person = models.ForeignKey(Person, verbose_name=_("person"), on_delete=models.CASCADE, related_name="categories")
    category = models.CharField(_("category"), max_length=40)
    detail = models.CharField(_("detail"), max_length=100, blank=True)  # e.g. disability grade, school
    dataset = models.CharField(_("dataset"), max_length=40)
    submission = models.ForeignKey(
        "exchange.Submission", verbose_name=_("source submission"), on_delete=models.PROTECT, related_name="+"
    )
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"), null=True, blank=True)

    class Meta:
        verbose_name = _("person category")
        verbose_name_plural = _("person categories")
        indexes = [models.Index(fields=["category", "until"]), models.Index(fields=["person", "until"])]

    def __str__(self) -> str:
        return f"{self.person_id} {self.category}"


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved and applied")
    REJECTED = "rejected", _("Rejected")


class ChangeRequest(models.Model):
    """A manual correction of the register, applied only once approved by another person."""

    person = models.ForeignKey(
        Person, verbose_name=_("person"), on_delete=models.PROTECT, related_name="change_requests"
    )
    changes = models.JSONField(_("changes"))  # field -> [before, after]
    reason = models.TextField(_("reason"))
    evidence = models.FileField(_("evidence"), upload_to="corrections/%Y/%m/", blank=True)
    requested_by = models.ForeignKey(
        "org.User", verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    status = models.CharField(_("status"), max_length=10, choices=ChangeRequestStatus.choices, default="pending")
    decided_by = models.ForeignKey(
        "org.User", verbose_name=_("decided by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)

    class Meta:
        verbose_name = _("register correction")
        verbose_name_plural = _("register corrections")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.person_id} {self.status}"


class VerificationStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    ESCALATED = "escalated", _("Escalated a level up")
    CLOSED = "closed", _("Closed")


class VerificationRequest(models.Model):
    """One department asking another to check particular persons (Art 6, 12), escalated when it cannot answer."""

    requester = models.ForeignKey(
        "org.Unit", verbose_name=_("requesting unit"), on_delete=models.PROTECT, related_name="+"
    )
    target = models.ForeignKey("org.Unit", verbose_name=_("asked unit"), on_delete=models.PROTECT, related_name="+")
    level = models.CharField(_("level"), max_length=20, default="county")  # county, prefecture, region, national
    question = models.TextField(_("question"))
    persons = models.ManyToManyField(Person, verbose_name=_("persons"), related_name="verifications", blank=True)
    id_numbers = models.JSONField(_("ID numbers asked about"), default=list)
    owner = models.ForeignKey("org.User", verbose_name=_("owner"), on_delete=models.PROTECT, related_name="+")
    asked_by = models.ForeignKey("org.User", verbose_name=_("asked by"), on_delete=models.PROTECT, related_name="+")
    asked_at = models.DateTimeField(_("asked at"))
    status = models.CharField(_("status"), max_length=10, choices=VerificationStatus.choices, default="open")
    answer = models.TextField(_("answer"), blank=True)
    answered_by = models.ForeignKey(
        "org.User", verbose_name=_("answered by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    escalated_from = models.ForeignKey(
        "self",
        verbose_name=_("escalated from"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="escalations",
    )

    class Meta:
        verbose_name = _("verification request")
        verbose_name_plural = _("verification requests")
        ordering = ["-asked_at"]

    def __str__(self) -> str:
        return f"{self.requester} → {self.target}: {self.status}"


class RegisterChange(models.Model):
    """A resident or household updated or removed, as the database's own triggers record it (SQLite).

    Written by no code: triggers on the person and household tables add a row for every row they update or delete,
    whoever does it. ApplyMark reads what came after a list's apply.
    """

    person_id = models.BigIntegerField(_("person"), null=True, blank=True)
    old_id_number = models.CharField(_("ID number before"), max_length=30, blank=True)
    new_id_number = models.CharField(_("ID number after"), max_length=30, blank=True)
    household_id = models.BigIntegerField(_("household"), null=True, blank=True)

    class Meta:
        verbose_name = _("register change")
        verbose_name_plural = _("register changes")

    def __str__(self) -> str:
        return f"{self.pk}: person {self.person_id} household {self.household_id}"


class ApplyMark(models.Model):
    """Where the register stood when a version of a list was applied to it (SQLite).

    The next version of the same list then compares with the register only the persons whose rows differ, those
    the register changed for since (RegisterChange, persons added), and those this version could not place: for
    all others the register already holds what applying their unchanged row gives (see registry.services).
    """

    submission = models.OneToOneField(
        "exchange.Submission", verbose_name=_("submission"), on_delete=models.CASCADE, related_name="apply_mark"
    )
    change_id = models.BigIntegerField(_("last register change"))
    person_id = models.BigIntegerField(_("last person"))
    household_id = models.BigIntegerField(_("last household"))
    context = models.CharField(_("context digest"), max_length=64)
    unplaced = models.JSONField(_("ID numbers not placed"), default=list, blank=True)

    class Meta:
        verbose_name = _("apply mark")
        verbose_name_plural = _("apply marks")

    def __str__(self) -> str:
        return f"{self.submission_id} @ {self.change_id}"
