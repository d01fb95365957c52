"""What each party does under the measures, shown on its home page as a reference below its to-do list.

The to-do list itself (each obligation with its date, pending reason or fulfilment) comes from the
obligations engine (``liangxian.obligations``); these texts stay as the plain summary of the unit's duties.
"""
# ruff: noqa: E501 -- each duty is one msgid sentence; split literals would only hide it from translators.

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """Write 1..99 in Chinese numerals as the measures number their articles (七, 十二, 二十九)."""
    if not 0 < n < 100:
        raise ValueError(f"article number out of range: {n}")
    tens, ones = divmod(n, 10)
    head = "" if tens == 0 else ("十" if tens == 1 else _DIGITS[tens] + "十")
    return head + (_DIGITS[ones] if ones else "")


def article_label(number: int) -> str:
    """Name an article the way readers of the current language cite it (第七条, Art 7)."""
    if (get_language() or "").startswith("zh"):
        # Chinese cites articles with Chinese numerals, which no catalogue can produce from a number.
        return f"第{chinese_number(number)}条"
    return gettext("Art %(number)s") % {"number": number}


@dataclass(frozen=True)
class Duty:
    """One duty of a party with its article and, where the measures set one, its deadline."""

    article: int
    text: Promise
    due: Promise | str = ""

    @property
    def label(self) -> str:
        return article_label(self.article)


NO_DEADLINE = _("no deadline in the measures")

DUTIES: dict[str, tuple[Duty, ...]] = {
    "tax": (
        Duty(
            8,
            _(
                "Set and carry out the collection rules; collect from the valid roster passed by medical insurance and social security"
            ),
        ),
        Duty(
            27,
            _("Push this year's due-list (应缴费人员台账) to every township"),
            _("before the concentrated period starts"),
        ),
        Duty(
            8, _("Feed abnormal data back to medical insurance and social security"), _("2 working days after receipt")
        ),
        Duty(30, _("Authorise, manage and withdraw the village collection assistants")),
        Duty(
            37,
            _("Pass the daily detail of receipts to medical insurance and social security; keep the white list"),
            _("the next day"),
        ),
        Duty(36, _("Reconcile the month's receipts with the People's Bank"), _("each month")),
        Duty(41, _("Screen cash payments for suspicious data and push it to the townships for self-checks")),
        Duty(38, _("Summarise the campaign and evaluate each unit and township"), _("10 days after the period ends")),
        Duty(
            25,
            _("Train the township specialists and village assistants with medical insurance and social security"),
            _("at least twice a year"),
        ),
        Duty(42, _("Publish the collection results")),
    ),
    "insurance": (
        Duty(
            7,
            _("Register enrolment and pass the valid contribution roster (有效缴费明细清册) to tax"),
            _("15 days before the concentrated period starts"),
        ),
        Duty(
            7,
            _("Verify the abnormal data fed back by tax"),
            _(
                "3 working days after receipt; forward to another department within 2 working days and reply 1 working day after its confirmation"
            ),
        ),
        Duty(
            7,
            _("Feed identity updates from civil affairs, the disabled federation and rural revitalisation back to tax"),
            _("15 working days after receipt"),
        ),
        Duty(32, _("Pass the refund roster to tax"), _("2 working days after the refund")),
        Duty(
            36,
            _("Give tax the monthly contribution report with the analysis of differences"),
            _("5 working days after month end"),
        ),
        Duty(37, _("Reconcile entitlements with tax's daily detail and resolve the white list")),
        Duty(25, _("Train the township specialists and village assistants with tax"), _("at least twice a year")),
    ),
    "finance": (
        Duty(
            9,
            _(
                "Supervise the social-insurance accounts; transfer contributions, 代缴 funds and subsidies to each fiscal special account"
            ),
        ),
        Duty(
            9,
            _(
                "Apply for and pay out fiscal funds with medical insurance and social security, including the yearly application"
            ),
        ),
        Duty(30, _("Fund the pay of the village collection assistants")),
        Duty(40, _("Inspect cash collection in the townships and villages"), _("at least twice a year")),
    ),
    "civil": (
        Duty(
            10,
            _(
                "Provide the lists of special-hardship persons, orphans and minimum-allowance recipients, signed by the principal leader and stamped"
            ),
            _("1 month before the concentrated period starts"),
        ),
        Duty(10, _("Report identity changes during the concentrated period"), _("7 working days after the change")),
    ),
    "revital": (
        Duty(
            11,
            _(
                "Provide the lists of unstable, at-risk and sudden-hardship households and the monitored population, signed by the principal leader and stamped"
            ),
            _("1 month before the concentrated period starts"),
        ),
        Duty(11, _("Report identity changes during the concentrated period"), _("7 working days after the change")),
    ),
    "disabled": (
        Duty(
            14,
            _("Provide this year's list of disabled persons, signed by the principal leader and stamped"),
            _("1 month before the concentrated period starts"),
        ),
        Duty(14, _("Report identity changes during the concentrated period"), _("7 working days after the change")),
    ),
    "police": (
        Duty(
            12,
            _("Provide household registrations, floating population and deregistrations"),
            _("5 days after each quarter end"),
        ),
        Duty(12, _("Help verify the information of special cases")),
    ),
    "justice": (Duty(13, _("Provide the data medical insurance and social security ask for"), _("each quarter")),),
    "education": (
        Duty(
            16,
            _(
                "Provide student records: school status, ID type and number, name, parents, guardian and his ID number, contact"
            ),
            NO_DEADLINE,
        ),
        Duty(16, _("Enrol students in medical insurance and remind those not enrolled")),
    ),
    "publicity": (
        Duty(
            15,
            _("Arrange publicity of the two insurances on the internet, television and radio"),
            _("during the concentrated period"),
        ),
        Duty(23, _("Coordinate the publicity and guidance for payers")),
    ),
    "pbc": (
        Duty(
            36,
            _("Give tax the treasury statement of last month's receipts and reconcile it"),
            _("3 working days after month end"),
        ),
    ),
    "supervision": (
        Duty(40, _("Supervise the fund's income and spending and cash payments as daily work")),
        Duty(40, _("Inspect cash collection in the townships and villages"), _("at least twice a year")),
        Duty(41, _("Sample the suspicious cash data pushed to the townships and handle the violations found")),
        Duty(21, _("Check that personal data is used only for statutory duties: read the access log")),
        Duty(43, _("Receive reports and keep the reporter's identity secret")),
    ),
    "township": (
        Duty(
            17,
            _("Survey residents' enrolment with medical insurance and social security and form the valid roster"),
            _("in the month before the concentrated period"),
        ),
        Duty(
            31,
            _("Publish each village's handlers: name, post, phone, duties"),
            _("before the concentrated period starts"),
        ),
        Duty(
            29,
            _("Find the residents who can only pay in cash and keep that list current"),
            _("before the concentrated period starts"),
        ),
        Duty(27, _("Make sure nobody on the due-list is missed (不漏一人)")),
        Duty(30, _("Supervise the village collection assistants")),
        Duty(
            29,
            _("Send the scans of the cash ledgers to tax; keep the originals at the social-security office"),
            _("7 working days after the period ends"),
        ),
        Duty(41, _("Self-check the suspicious cash data pushed by tax and report back"), _("15 days after receipt")),
        Duty(
            31,
            _("Keep the specialist in post; file with tax, medical insurance and social security before replacing him"),
        ),
        Duty(26, _("Report payment problems to tax")),
    ),
    "collector": (
        Duty(30, _("Collect only while tax's authorisation is in force")),
        Duty(28, _("Guide payers to pay themselves through the WeChat mini-program, the tax hall or POS")),
        Duty(
            29,
            _(
                "Take cash only from residents who cannot pay any other way; pay it in at once and give a proof of payment"
            ),
        ),
        Duty(
            29,
            _(
                "Enter each cash payment in the cash ledger, signed and fingerprinted by the payer, you and the village head"
            ),
        ),
        Duty(29, _("Settle the cash received and paid in"), _("the same day")),
        Duty(40, _("Never keep cash unpaid, take more than is paid in or charge extra fees")),
    ),
    "village_head": (
        Duty(
            17, _("Help the township survey the village's residents"), _("in the month before the concentrated period")
        ),
        Duty(31, _("Post the village's handlers in a prominent place"), _("before the concentrated period starts")),
        Duty(29, _("Sign and fingerprint the cash ledger with the payer and the collector")),
        Duty(42, _("Publish who has paid in the village, with names and ID numbers masked")),
    ),
    "bank": (Duty(4, _("Run the bank channels (batch debit, counters) and report payments through them")),),
    "sysadmin": (
        Duty(22, _("Record each department's designated data contact")),
        Duty(21, _("Give each user one unit and role, so that he sees only what his duty needs")),
    ),
}
DUTIES["village"] = DUTIES["village_head"][:1] + DUTIES["village_head"][3:]
