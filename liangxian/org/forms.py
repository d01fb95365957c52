"""Forms of the organisation pages; each only parses input for one service."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .models import Role, TownshipPost, User, VillageHandler

if TYPE_CHECKING:
    UserChoiceBase = forms.ModelChoiceField[User]
    HandlerFormBase = forms.ModelForm[VillageHandler]
else:  # generic only in the type stubs
    UserChoiceBase = forms.ModelChoiceField
    HandlerFormBase = forms.ModelForm


class UserChoiceField(UserChoiceBase):
    """Choose a user, shown by his full name and username."""

    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.full_name or obj.username}（{obj.username}）"


class DateInput(forms.DateInput):
    input_type = "date"


class DataContactForm(forms.Form):
    user = UserChoiceField(label=_("Data contact"), queryset=User.objects.none())
    since = forms.DateField(label=_("Since"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


class AppointForm(forms.Form):
    post = forms.ChoiceField(label=_("Post"), choices=TownshipPost.choices)
    user = UserChoiceField(label=_("Person"), queryset=User.objects.none())
    since = forms.DateField(label=_("Since"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users  # type: ignore[attr-defined]


class FilingForm(forms.Form):
    incoming = UserChoiceField(label=_("Incoming specialist"), queryset=User.objects.none())
    reason = forms.CharField(label=_("Special circumstances"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incoming"].queryset = users  # type: ignore[attr-defined]


class ReplaceForm(forms.Form):
    incoming = UserChoiceField(label=_("Incoming specialist"), queryset=User.objects.none())
    since = forms.DateField(label=_("Since"), widget=DateInput, initial=timezone.localdate)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["incoming"].queryset = users  # type: ignore[attr-defined]


class HandlerForm(HandlerFormBase):
    class Meta:
        model = VillageHandler
        fields = ["name", "post", "phone", "duties", "name_ug", "post_ug", "duties_ug", "order"]
        widgets = {
            "duties": forms.Textarea(attrs={"rows": 2}),
            "duties_ug": forms.Textarea(attrs={"rows": 2, "dir": "rtl", "lang": "ug"}),
            "name_ug": forms.TextInput(attrs={"dir": "rtl", "lang": "ug"}),
            "post_ug": forms.TextInput(attrs={"dir": "rtl", "lang": "ug"}),
        }


class AuthoriseForm(forms.Form):
    collector = UserChoiceField(label=_("Collector"), queryset=User.objects.none())
    valid_from = forms.DateField(label=_("Valid from"), widget=DateInput, initial=timezone.localdate)
    valid_until = forms.DateField(label=_("Valid until"), widget=DateInput, required=False)

    def __init__(self, *args: Any, users: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["collector"].queryset = users.filter(role=Role.COLLECTOR)  # type: ignore[attr-defined]


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=_("Reason for withdrawal"), max_length=500)
