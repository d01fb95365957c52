"""Owed per category, the 代缴 application and its batch, subsidies per tier net of refunds, the yearly application."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from liangxian.collection.channel_files import read_channel_csv
from liangxian.collection.intake import channel_import
from liangxian.core.models import AuditEvent
from liangxian.finance import selectors, services
from liangxian.finance.models import DaijiaoApplication, FundAccount, SubsidyFigure
from liangxian.finance.services import FinanceError

from .fixtures import finance_county

pytestmark = pytest.mark.django_db


@pytest.fixture
def county() -> dict[str, Any]:
    return finance_county()


def test_owed_per_category_and_insurance_from_the_roster(county: dict[str, Any]) -> None:
    lines = {(x.insurance, x.category): (x.label, x.persons, x.owed_fen) for x in services.daijiao_owed(2027)}
    assert lines == {
        ("medical", "minimum_allowance"): ("低保", 1, 20000),
        ("medical", "orphan"): ("孤儿", 1, 40000),
        ("medical", "special_hardship"): ("特困", 1, 40000),
        ("pension", "special_hardship"): ("特困", 1, 10000),
    }
    assert services.roster_gov_total(2027, "medical") == (3, 100000)


def test_accounts_are_named_per_insurance_and_edited_by_finance_only(county: dict[str, Any]) -> None:
    services.accounts_seed(by=county["finance"])
    services.accounts_seed(by=county["finance"])  # twice: nothing more
    names = set(FundAccount.objects.values_list("name", flat=True))
    assert len(names) == 6 and "城乡居民基本医疗保险财政专户" in names and "城乡居民基本养老保险支出户" in names
    account = FundAccount.objects.get(insurance="medical", kind="fiscal")
    services.account_update(
        by=county["finance"], account_id=account.pk, name=account.name, bank="农行", number="6228 01"
    )
    assert FundAccount.objects.get(pk=account.pk).number == "622801"
    with pytest.raises(FinanceError):
        services.account_update(by=county["tax"], account_id=account.pk, name="x", bank="", number="1")


def test_application_lifecycle_batch_readable_by_collection_and_paid_by_its_number(
    county: dict[str, Any], tmp_path: Any
) -> None:
    fin = county["finance"]
    app = services.application_draw(by=fin, year=2027, insurance="medical")
    assert (app.status, app.persons, app.owed_fen, app.lines.count()) == ("draft", 3, 100000, 3)
    with pytest.raises(FinanceError) as refused:
        services.batch_produce(by=fin, application_id=app.pk)
    assert refused.value.code == "not_approved"
    services.application_submit(by=fin, application_id=app.number)
    with pytest.raises(FinanceError):
        services.application_draw(by=fin, year=2027, insurance="medical")  # submitted: no redraw
    services.application_approve(by=fin, application_id=app.number)
    batch = services.batch_produce(by=fin, application_id=app.number)
    assert batch.batch_no.startswith("DJ") and batch.persons == 3 and batch.amount_fen == 100000

    # the file reads in collection's gov layout: the government's part, the batch number on every line
    frame = read_channel_csv("gov", batch.content.encode())
    assert frame.height == 3
    assert set(frame.get_column("batch_no").to_list()) == {batch.batch_no}
    assert frame.get_column("other_fen").sum() == 100000 and frame.get_column("amount_fen").sum() == 0

    # collection imports two of the three lines (the orphan's is left out)
    ali_id = county["people"]["ali"].id_number
    kept = "\n".join(line for line in batch.content.splitlines() if ali_id not in line) + "\n"
    channel_import(channel="gov", data=kept.encode(), filename="gov.csv", by=fin)
    result = services.application_reconcile(by=fin, application_id=app.number)
    app.refresh_from_db()
    assert app.status == "paid" and app.paid_fen == 60000 and app.paid_persons == 2
    assert result.not_covered == 1 and result.not_covered_fen == 40000
    missing = services.not_covered_frame(2027, "medical")
    assert missing.get_column("person_id").to_list() == [county["people"]["ali"].pk]

    # a second batch pays only who is still not covered
    second = services.batch_produce(by=fin, application_id=app.number)
    assert second.persons == 1 and second.amount_fen == 40000 and second.batch_no != batch.batch_no
    assert AuditEvent.objects.filter(action__startswith="finance.daijiao").count() >= 6


def test_only_finance_acts_on_applications(county: dict[str, Any]) -> None:
    for who in ("tax", "leader"):
        with pytest.raises(FinanceError) as refused:
            services.application_draw(by=county[who], year=2027, insurance="medical")
        assert refused.value.code == "forbidden"
    assert not DaijiaoApplication.objects.exists()


def test_subsidy_per_tier_net_of_refunds(county: dict[str, Any]) -> None:
    medical = services.subsidy_summary(2027, "medical")
    # 阿依古丽 and 买买提 paid; 王芳 only her own part (the government's not yet in); 李明 refunded in full
    assert medical["persons"] == 2 and medical["amount_fen"] == 2 * 70000
    pension = services.subsidy_summary(2027, "pension")
    assert {(t["tier_fen"], t["rate_fen"]) for t in pension["tiers"]} == {(20000, 3000), (50000, 6000)}
    assert pension["amount_fen"] == 9000

    # a year's own standard: 40 below 500, 80 from 500; below the national minimum is refused
    with pytest.raises(FinanceError) as low:
        services.rates_set(by=county["finance"], year=2027, insurance="pension", rows=[(0, 3000), (50000, 5000)])
    assert low.value.code == "below_minimum"
    services.rates_set(by=county["finance"], year=2027, insurance="pension", rows=[(0, 4000), (50000, 8000)])
    assert services.subsidy_summary(2027, "pension")["amount_fen"] == 12000
    services.rates_set(by=county["finance"], year=2027, insurance="medical", rows=[(0, 71000)])
    services.subsidy_record(by=county["finance"], year=2027)
    assert SubsidyFigure.objects.get(insurance="medical").amount_fen == 142000


def test_rates_seed_takes_the_campaigns_standard(county: dict[str, Any]) -> None:
    from liangxian.campaigns.models import ContributionTier

    campaign = county["campaign"]
    ContributionTier.objects.create(campaign=campaign, insurance="medical", amount_fen=40000, subsidy_fen=72000)
    for amount, subsidy in ((10000, 3000), (20000, 3000), (50000, 6500)):
        ContributionTier.objects.create(campaign=campaign, insurance="pension", amount_fen=amount, subsidy_fen=subsidy)
    rates = services.rates_seed(by=county["finance"], year=2027)
    assert rates == {"medical": [(0, 72000)], "pension": [(0, 3000), (50000, 6500)]}


def test_yearly_application_for_fiscal_funds(county: dict[str, Any]) -> None:
    fin = county["finance"]
    req = services.fundrequest_draw(by=fin, year=2027)
    lines = {(x.flow, x.insurance): x for x in req.lines.all()}
    assert lines[("on_behalf", "medical")].estimated_fen == 100000
    # medical: 6 persons must pay × 700; pension: 3 persons at their roster tiers (200, 200, 100) × 30
    assert lines[("subsidy", "medical")].estimated_fen == 6 * 70000
    assert lines[("subsidy", "pension")].estimated_fen == 3 * 3000
    services.fundrequest_submit(by=fin, year=2027)
    services.fundrequest_approve(by=fin, year=2027, approved={("subsidy", "medical"): 400000})
    approved = {(x.flow, x.insurance): x.approved_fen for x in req.lines.all()}
    assert approved[("subsidy", "medical")] == 400000 and approved[("on_behalf", "medical")] == 100000


def test_the_check_adds_up_and_shows_what_is_not_covered(county: dict[str, Any]) -> None:
    view = selectors.overview(2027, "medical")
    assert view["ok"]
    flows = {f["flow"]: f for f in view["flows"]}
    assert flows["on_behalf"]["owed_fen"] == 100000
    assert flows["contributions"]["received_fen"] == 40000 + 20000 + 40000 - 40000 + 40000
    assert flows["subsidy"]["owed_fen"] == 140000
    fin = county["finance"]
    services.accounts_seed(by=fin)
    services.transfer_record(
        by=fin,
        flow="on_behalf",
        insurance="medical",
        amount_fen=60000,
        value_date=date(2026, 11, 20),
        coverage_year=2027,
    )
    flows = {f["flow"]: f for f in selectors.overview(2027, "medical")["flows"]}
    assert flows["on_behalf"]["transferred_fen"] == 60000 and flows["on_behalf"]["confirmed_fen"] == 0


def test_drill_down_is_paged_masked_and_logged(county: dict[str, Any]) -> None:
    from liangxian.core.models import AccessLog

    page = selectors.persons_page(user=county["leader"], year=2027, insurance="medical", what="owed")
    assert page.total == 3 and page.total_fen == 100000
    assert all("*" in r["id_number"] for r in page.rows)
    log = AccessLog.objects.get(object_type="finance.owed")
    assert log.duty == "fiscal_funds" and log.count == 3
    paid = selectors.persons_page(user=county["finance"], year=2027, insurance="medical", what="contributions")
    assert paid.total == 5 and paid.total_fen == 100000 and any(r["kind"] == "refund" for r in paid.rows)
    with pytest.raises(FinanceError):
        selectors.persons_page(user=county["tax"], year=2027, insurance="medical", what="owed")
