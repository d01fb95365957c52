"""`POST /api/collection/notify/{channel}`: a channel system's signed real-time payment notification (Art 26).

Not the session or token auth of the rest of the API: the request is signed with the channel's key (see
:mod:`liangxian.collection.realtime` for the headers and the body).
"""

from __future__ import annotations

from django.http import HttpRequest
from ninja import Router, Schema, Status

from liangxian.core.money import from_fen

from . import realtime
from .realtime import NotifyError, RealtimePaymentIn

router = Router()


class RealtimeNotifyOut(Schema):
    payment_id: int
    txn_no: str
    outcome: str  # counted | queued
    reason: str | None  # the queue's reason when queued
    repeat: bool  # the transaction was on record already: the first result is returned
    amount: str  # yuan, negative for a refund
    notification_id: int


class RealtimeErrorOut(Schema):
    code: str
    detail: str


_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RealtimePaymentIn.model_json_schema()}},
    },
    "parameters": [
        {"in": "header", "name": name, "required": True, "schema": {"type": "string"}}
        for name in (realtime.HEADER_KEY, realtime.HEADER_TIMESTAMP, realtime.HEADER_NONCE, realtime.HEADER_SIGNATURE)
    ],
}


@router.post(
    "/notify/{channel}",
    auth=None,
    response={
        200: RealtimeNotifyOut,
        400: RealtimeErrorOut,
        401: RealtimeErrorOut,
        403: RealtimeErrorOut,
        404: RealtimeErrorOut,
        409: RealtimeErrorOut,
        422: RealtimeErrorOut,
    },
    summary="A channel's signed real-time payment notification (Art 26)",
    openapi_extra=_BODY,
)
def notify(request: HttpRequest, channel: str) -> Status:
    """Record the payment a channel notifies, once; a repeat of its transaction answers with the first result."""
    headers = request.headers
    try:
        result = realtime.notification_receive(
            channel=channel,
            key_id=headers.get(realtime.HEADER_KEY, ""),
            timestamp=headers.get(realtime.HEADER_TIMESTAMP, ""),
            nonce=headers.get(realtime.HEADER_NONCE, ""),
            signature=headers.get(realtime.HEADER_SIGNATURE, ""),
            body=request.body,
        )
    except NotifyError as exc:
        return Status(exc.status, RealtimeErrorOut(code=exc.code, detail=exc.message))
    payment = result.payment
    return Status(
        200,
        RealtimeNotifyOut(
            payment_id=payment.pk,
            txn_no=payment.txn_no,
            outcome="queued" if result.reason else "counted",
            reason=result.reason,
            repeat=result.repeat,
            amount=str(from_fen(payment.amount_fen)),
            notification_id=result.notification_id,
        ),
    )
