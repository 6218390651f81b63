"""The site: what reads both apps at once.

Role home pages, the patient page, the patient record export, `/healthz` and the
benchmark's helpers live here, above ``intake`` and ``sessions``; the rest of ``clinic``
is the shared kernel below both apps and imports neither. Only ``clinic.urls`` and the
management commands import this package (docs/ARCHITECTURE.md; tests/test_architecture.py
keeps it true).
"""
