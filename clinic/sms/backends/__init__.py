"""SMS backends, one module each, chosen by ``settings.SMS_BACKEND`` (as Django's email
backends are by ``EMAIL_BACKEND``): ``filebased`` (development), ``locmem`` (tests),
``twilio`` (production)."""
