"""A URLconf for tests/clinic/test_sms_webhooks.py: one webhook that answers 204 when
clinic.sms.webhooks.verify_webhook accepts the request and 403 when it does not (the
real status-callback and reply views come with the follow-ups)."""

from django.http import HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from clinic.access import public
from clinic.sms.webhooks import verify_webhook

received: list[dict[str, str]] = []


@public  # the provider's signature is its credential
@csrf_exempt
def status_callback(request):
    if not verify_webhook(request):
        return HttpResponse(status=403)
    received.append(request.POST.dict())
    return HttpResponse(status=204)


urlpatterns = [path("sms/status/", status_callback, name="sms-status")]
