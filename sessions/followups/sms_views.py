"""The SMS provider's webhooks: status callbacks for texts we sent (``sms_status``) and
texts patients send us (``sms_inbound``). Public addresses; the provider's signature
(``clinic.sms.webhooks.verify_webhook``) is the credential."""

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from clinic.access import public


@public
@csrf_exempt
@require_POST
def sms_status(request):
    return HttpResponse(status=403)


@public
@csrf_exempt
@require_POST
def sms_inbound(request):
    return HttpResponse(status=403)
