"""The SMS provider's webhooks: status callbacks for texts we sent (``sms_status``) and
texts patients send us (``sms_inbound``). Public addresses; the provider's signature
(``clinic.sms.webhooks.verify_webhook``) is the credential, and a request without a
valid one is refused (403) and audited. The rules are in ``replies``."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST
from twilio.twiml.messaging_response import MessagingResponse

from clinic import audit
from clinic.access import public
from clinic.sms.webhooks import verify_webhook
from sessions.followups import replies

# Who the audit log names for what a patient's text did (no staff member, no link).
ACTOR = "sms"


def _refuse(request: HttpRequest, webhook: str) -> HttpResponse:
    audit.record_denied(request, f"{webhook} webhook: missing or bad X-Twilio-Signature")
    return HttpResponse(status=403)


@public
@csrf_exempt
@require_POST
def sms_status(request):
    """A text's new status. 204 whatever became of it: an unknown or stale status is
    no error the provider could fix by retrying."""
    if not verify_webhook(request):
        return _refuse(request, "SMS status")
    replies.delivery_status(
        provider_id=request.POST.get("MessageSid", ""),
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", ""),
    )
    return HttpResponse(status=204)


@public
@csrf_exempt
@require_POST
def sms_inbound(request):
    """A patient's text: acted on once, answered in TwiML (an empty <Response/> when
    there is nothing to say)."""
    if not verify_webhook(request):
        return _refuse(request, "SMS inbound")
    sid = request.POST.get("MessageSid", "")
    if not sid or not request.POST.get("From", "").strip():
        return HttpResponse(status=400)  # not a text Twilio would send
    received = replies.reply_receive(
        provider_id=sid,
        from_number=request.POST.get("From", "").strip(),
        body=request.POST.get("Body", ""),
    )
    _audit(request, received)
    twiml = MessagingResponse()
    if received.reply.answer:
        twiml.message(received.reply.answer)
    return HttpResponse(str(twiml), content_type="text/xml; charset=utf-8")


def _audit(request: HttpRequest, received: replies.Received) -> None:
    reply = received.reply
    if received.repeat:
        detail = f"text reply {reply.provider_id} delivered again: nothing done"
        audit.record(request, audit.Action.VIEW, obj=reply, actor_role=ACTOR, detail=detail)
        return
    detail = f"text reply: {reply.get_action_display().lower()}"
    audit.record(request, audit.Action.CREATE, obj=reply, actor_role=ACTOR, detail=detail)
    if received.confirmed is not None:
        audit.record(
            request,
            audit.Action.UPDATE,
            obj=received.confirmed,
            actor_role=ACTOR,
            detail="visit confirmed by text"
            if received.confirmed.confirmed_at
            else "confirmation withdrawn: asked by text to rebook",
        )
    for patient in received.consent_changed:
        audit.record(
            request,
            audit.Action.UPDATE,
            obj=patient,
            actor_role=ACTOR,
            detail=f"SMS consent by text: {reply.get_action_display().lower()}",
        )
    if received.task is not None:
        audit.record(
            request,
            audit.Action.CREATE,
            obj=received.task,
            actor_role=ACTOR,
            detail="call task from a text reply",
        )
