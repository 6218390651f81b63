"""Documents in an S3 bucket, against a real S3-compatible server on this machine (moto's
server mode, over HTTP): the storage is built exactly as clinic/settings.py builds it
from DOCUMENTS_S3_*, files land under the prefix, encrypted at rest, come back byte for
byte, download with our headers, and are removed by the purge. Nothing reaches AWS: the
endpoint is the local server and every AWS credential is a dummy."""

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import boto3
import pytest
import time_machine
from botocore.config import Config
from botocore.exceptions import ClientError
from django.conf import settings
from django.test import override_settings
from moto.server import ThreadedMotoServer
from PIL import Image

from sessions.documents import serve, services
from sessions.documents.models import Document, Kind
from tests.factories import PatientFactory, UserFactory
from tests.sessions.documents.samples import GPS_IFD, exif_of, make_jpeg_bytes, make_pdf_bytes

BUCKET = "clinic-documents-test"
PREFIX = "clinic/documents"
REGION = "ca-central-1"
ROOT = Path(__file__).resolve().parents[3]
DELETED = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("America/Edmonton"))

# Dummy credentials, and no AWS configuration file or instance metadata to fall back on.
DUMMY_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


@pytest.fixture(scope="session")
def s3_endpoint():
    """A moto S3 server on a free local port, for the whole session; its address."""
    with pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_S3"):
            env.delenv(name, raising=False)
        for name, value in DUMMY_AWS.items():
            env.setenv(name, value)
        server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
        server.start()
        host, port = server.get_host_and_port()
        try:
            yield f"http://{host}:{port}"
        finally:
            server.stop()


@pytest.fixture(scope="session")
def s3_settings(s3_endpoint, tmp_path_factory):
    """``STORAGES["documents"]`` as clinic/settings.py builds it from DOCUMENTS_S3_*:
    the settings module is imported in a fresh interpreter with these variables set
    (and a key and state folder of its own, so it starts whatever DEBUG is)."""
    env = {
        **os.environ,
        **DUMMY_AWS,
        "DJANGO_SETTINGS_MODULE": "clinic.settings",
        "SECRET_KEY": "s3-storage-test-only",
        "VAR_DIR": str(tmp_path_factory.mktemp("settings-var")),
        "DOCUMENTS_S3_BUCKET": BUCKET,
        "DOCUMENTS_S3_ENDPOINT_URL": s3_endpoint,
        "DOCUMENTS_S3_REGION": REGION,
        "DOCUMENTS_S3_ACCESS_KEY_ID": "testing",
        "DOCUMENTS_S3_SECRET_ACCESS_KEY": "testing",
        "DOCUMENTS_S3_PREFIX": PREFIX,
        "DOCUMENTS_S3_ENCRYPT": "1",
    }
    code = (
        "import json; from django.conf import settings; "
        "print(json.dumps(settings.STORAGES['documents']))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.fixture
def s3(s3_endpoint):
    """A boto3 client of the local server, and an empty bucket."""
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"max_attempts": 1}),
    )
    client.create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
    yield client
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET):
        for item in page.get("Contents", []):
            client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.fixture
def bucket_storage(s3, s3_settings, documents_storage, db):
    """The documents storage is the bucket for this test (after conftest's folder)."""
    with override_settings(STORAGES={**settings.STORAGES, "documents": s3_settings}):
        yield s3


def _keys(client) -> list[str]:
    listing = client.list_objects_v2(Bucket=BUCKET)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _upload(patient, *files, kind=Kind.REFERRAL) -> list[Document]:
    result = services.documents_upload(patient=patient, uploads=list(files), kind=kind)
    assert not result.refused
    return result.added


def test_the_settings_build_a_private_encrypted_s3_storage(s3_settings, s3_endpoint):
    assert s3_settings["BACKEND"] == "storages.backends.s3.S3Storage"
    options = s3_settings["OPTIONS"]
    assert options["bucket_name"] == BUCKET
    assert options["endpoint_url"] == s3_endpoint
    assert options["region_name"] == REGION
    assert options["location"] == PREFIX
    assert options["default_acl"] is None
    assert options["querystring_auth"] is True
    assert options["file_overwrite"] is False
    assert options["object_parameters"] == {"ServerSideEncryption": "AES256"}


def test_an_upload_lands_in_the_bucket_under_the_prefix_encrypted(bucket_storage):
    patient = PatientFactory()
    letter, photo = _upload(
        patient,
        ("referral.pdf", make_pdf_bytes("Referral from Dr. Singh")),
        ("knee.jpg", make_jpeg_bytes(gps=True)),
    )
    assert services.documents_storage().__class__.__name__ == "S3Storage"
    keys = _keys(bucket_storage)
    assert keys == sorted(f"{PREFIX}/{d.storage_name}" for d in (letter, photo))
    assert all(key.startswith(f"{PREFIX}/patients/{patient.pk}/") for key in keys)
    for key in keys:
        head = bucket_storage.head_object(Bucket=BUCKET, Key=key)
        assert head["ServerSideEncryption"] == "AES256"
        grants = bucket_storage.get_object_acl(Bucket=BUCKET, Key=key)["Grants"]
        assert not [g for g in grants if "URI" in g["Grantee"]], "readable by a group"
    head = bucket_storage.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{letter.storage_name}")
    assert head["ContentType"] == "application/pdf"
    assert head["ContentLength"] == letter.size


def test_the_pdf_comes_back_byte_for_byte_and_the_photo_without_its_position(bucket_storage):
    pdf = make_pdf_bytes("Imaging report")
    letter, photo = _upload(
        PatientFactory(), ("report.pdf", pdf), ("card.jpg", make_jpeg_bytes(gps=True))
    )
    with services.document_open(letter) as opened:
        assert opened.read() == pdf
    in_bucket = bucket_storage.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{letter.storage_name}")
    assert in_bucket["Body"].read() == pdf
    with services.document_open(photo) as opened:
        stored = opened.read()
    assert GPS_IFD not in exif_of(stored)
    with Image.open(io.BytesIO(stored)) as picture:
        assert picture.format == "JPEG"


def test_the_download_streams_the_file_from_the_bucket_with_our_headers(bucket_storage):
    pdf = make_pdf_bytes("Payer letter", pages=3)
    (letter,) = _upload(PatientFactory(), ("letter.pdf", pdf), kind=Kind.PAYER_LETTER)
    response = serve.file_response(letter, inline=True)  # a PDF is a download regardless
    assert b"".join(response.streaming_content) == pdf
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert serve.download_name(letter) in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == serve.SANDBOX_CSP
    assert response["Cache-Control"] == "private, no-store"
    response.close()


def test_the_purge_removes_the_object_once_the_retention_period_is_over(bucket_storage):
    kept, gone = _upload(
        PatientFactory(), ("kept.pdf", make_pdf_bytes("kept")), ("gone.pdf", make_pdf_bytes("x"))
    )
    services.document_delete(document=gone, by=UserFactory(), reason="duplicate", now=DELETED)
    years = settings.DOCUMENT_RETENTION_YEARS
    with time_machine.travel(DELETED.replace(year=DELETED.year + years) - timedelta(days=1)):
        assert services.documents_purge() == 0
    assert len(_keys(bucket_storage)) == 2
    with time_machine.travel(DELETED.replace(year=DELETED.year + years) + timedelta(days=1)):
        assert services.documents_purge() == 1
    assert _keys(bucket_storage) == [f"{PREFIX}/{kept.storage_name}"]
    with pytest.raises(ClientError):
        bucket_storage.head_object(Bucket=BUCKET, Key=f"{PREFIX}/{gone.storage_name}")
    gone.refresh_from_db()
    assert gone.file_purged_at is not None
    with pytest.raises(FileNotFoundError):
        services.document_open(gone)


def test_a_failed_upload_leaves_nothing_in_the_bucket(bucket_storage, monkeypatch):
    def refuse(self, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Document, "save", refuse)
    with pytest.raises(RuntimeError):
        _upload(PatientFactory(), ("a.pdf", make_pdf_bytes("a")))
    assert _keys(bucket_storage) == []
