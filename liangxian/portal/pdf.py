"""The proof of payment (缴费证明) as PDF: Chinese and Uyghur side by side, its number and a QR code to check it."""

from __future__ import annotations

import base64
import io

import qrcode
import qrcode.image.svg
from django.template.loader import render_to_string
from django.utils import timezone

from liangxian.campaigns.models import InsuranceType
from liangxian.collection.models import Channel, ProofOfPayment
from liangxian.core import idnumbers
from liangxian.core.money import format_yuan, from_fen

# The document's own words in both languages: a printed paper reads the same whoever printed it.
INSURANCE_UG = {
    InsuranceType.MEDICAL: "شەھەر-يېزا ئاھالىلىرى ئاساسىي داۋالىنىش سۇغۇرتىسى",
    InsuranceType.PENSION: "شەھەر-يېزا ئاھالىلىرى ئاساسىي كېسەللىك-قېرىلىق سۇغۇرتىسى",
}
INSURANCE_ZH = {
    InsuranceType.MEDICAL: "城乡居民基本医疗保险",
    InsuranceType.PENSION: "城乡居民基本养老保险",
}
CHANNEL_ZH = {
    Channel.WECHAT: "微信小程序",
    Channel.HALL: "税务办税服务厅",
    Channel.POS: "POS 机",
    Channel.ETAX: "电子税务局",
    Channel.SICLIENT: "社保费客户端",
    Channel.BANK: "银行批量扣款",
    Channel.GOV: "政府代缴",
}
CHANNEL_UG = {
    Channel.WECHAT: "ئۈندىدار كىچىك پروگراممىسى",
    Channel.HALL: "باج مۇلازىمەت زالى",
    Channel.POS: "POS ماشىنىسى",
    Channel.ETAX: "ئېلېكترونلۇق باج ئىدارىسى",
    Channel.SICLIENT: "ئىجتىمائىي سۇغۇرتا خېرىدار تەرىپى",
    Channel.BANK: "بانكا تۈركۈملەپ ھەق ئېلىش",
    Channel.GOV: "ھۆكۈمەت ۋاكالىتەن تاپشۇرۇش",
}


def qr_data_uri(text: str) -> str:
    """Draw a QR code of the text as an inline SVG data URI (no file, no network)."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def proof_pdf(proof: ProofOfPayment, *, check_url: str) -> bytes:
    """Render one proof of payment as an A5 page, the payer's name whole and his ID number masked."""
    payment = proof.payment
    person = payment.person
    paid_at = timezone.localtime(payment.paid_at)
    issued_at = timezone.localtime(proof.issued_at)
    html = render_to_string(
        "portal/proof_pdf.html",
        {
            "number": proof.number,
            "name": person.name if person else payment.name,
            "id_masked": idnumbers.mask(person.id_number if person else payment.id_number),
            "insurance_zh": INSURANCE_ZH.get(payment.insurance, payment.insurance),  # type: ignore[call-overload]
            "insurance_ug": INSURANCE_UG.get(payment.insurance, payment.insurance),  # type: ignore[call-overload]
            "coverage_year": payment.coverage_year,
            "own": format_yuan(from_fen(payment.amount_fen)),
            "gov": format_yuan(from_fen(payment.other_fen)) if payment.other_fen else "",
            "total": format_yuan(from_fen(payment.amount_fen + payment.other_fen)),
            "tier": format_yuan(from_fen(payment.tier_fen)) if payment.tier_fen else "",
            "channel_zh": CHANNEL_ZH.get(payment.channel, payment.channel),  # type: ignore[call-overload]
            "channel_ug": CHANNEL_UG.get(payment.channel, payment.channel),  # type: ignore[call-overload]
            "txn_no": payment.txn_no,
            "paid_at": paid_at.strftime("%Y-%m-%d %H:%M"),
            "issued_at": issued_at.strftime("%Y-%m-%d %H:%M"),
            "cash": payment.collector_id is not None,
            "check_url": check_url,
            "qr": qr_data_uri(check_url),
        },
    )
    # Imported here: WeasyPrint loads Pango at import, which only the PDF needs.
    from weasyprint import HTML

    return bytes(HTML(string=html).write_pdf())
