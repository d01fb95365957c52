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

    id_type = models.CharField(_("document type"), max_length=24, choices=DocumentType.choices, default=DocumentType.RESIDENT_ID)
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
