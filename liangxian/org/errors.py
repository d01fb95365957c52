"""Domain errors of the organisation: each carries a code the API and pages can act on."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _


class OrgError(Exception):
    """A rule of the organisation refused the change."""

    code = "org_error"
    default_message = _("The change was refused.")

    def __init__(self, message: object | None = None) -> None:
        self.message = str(message if message is not None else self.default_message)
        super().__init__(self.message)


class OrgPermissionDenied(OrgError):
    """The actor's unit or role has no duty to make this change (Art 21)."""

    code = "forbidden"
    default_message = _("Your unit or role may not make this change.")


class OrgInvalid(OrgError):
    """The change names the wrong kind of unit, person or dates."""

    code = "invalid"
    default_message = _("The change is not valid.")


class DivisionsMissing(OrgError):
    """The county's divisions are not loaded, so its units cannot be created."""

    code = "divisions_missing"
    default_message = _("Load the divisions first: liangxian divisions load")


class FilingRequired(OrgError):
    """The specialist is replaced without a prior filing to tax, medical and social security (Art 31)."""

    code = "filing_required"
    default_message = _(
        "Replacing the labour and social-security specialist requires a prior filing with the tax, "
        "medical insurance and social security departments"
    )


class AlreadyAuthorised(OrgError):
    """The collector already holds an open authorisation for this village (Art 30)."""

    code = "already_authorised"
    default_message = _("This collector already holds an open authorisation for this village.")


class AlreadyWithdrawn(OrgError):
    """The authorisation was withdrawn before."""

    code = "already_withdrawn"
    default_message = _("This authorisation has already been withdrawn.")


class CollectorNotAuthorised(OrgError):
    """The collector holds no authorisation from tax for this village on that day (Art 30)."""

    code = "collector_not_authorised"
    default_message = _("This collector is not authorised by the tax bureau to collect in this village on that day.")
