"""Private files in an S3-compatible store: a real server (moto in server mode) on a free port.

Upload, permission, presigned download, a letter written by the worker, orphan cleanup, the
store being away (503 / refused upload, nothing half-stored), and invalid configuration.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import boto3
import pytest
from django.core.exceptions import ImproperlyConfigured

from applications.models import EvidenceFile, Status
from core.storage import orphans_delete, s3_storage_options
from tests.applications.files import pdf_bytes
from tests.helpers import api_as

ROOT = Path(__file__).resolve().parent.parent
KEYS = {"S3_ACCESS_KEY_ID": "testing-key", "S3_SECRET_ACCESS_KEY": "testing-secret"}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def s3_endpoint():
    """`python -m moto.server` in a subprocess: a real HTTP S3 API, like MinIO would be."""
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)  # noqa: S310
            break
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.2)
    else:
        proc.kill()
        pytest.fail("moto server did not start")
    yield endpoint
    proc.terminate()
    proc.wait(timeout=10)


def _s3_env(endpoint: str, bucket: str) -> dict[str, str]:
    return {"S3_BUCKET": bucket, "S3_ENDPOINT_URL": endpoint, **KEYS, "S3_PRESIGNED_SECONDS": "120"}


@pytest.fixture
def bucket(s3_endpoint, settings, monkeypatch):
    """A fresh private bucket, made the default storage (in this process and any worker)."""
    name = f"portal-{uuid.uuid4().hex[:12]}"
    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id=KEYS["S3_ACCESS_KEY_ID"],
        aws_secret_access_key=KEYS["S3_SECRET_ACCESS_KEY"],
        region_name="us-east-1",
    )
    client.create_bucket(Bucket=name)
    env = _s3_env(s3_endpoint, name)
    for key, value in env.items():
        monkeypatch.setenv(key, value)  # a worker subprocess started later reads these
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_options(env)}
    client.portal_bucket = name
    return client


def _keys(client) -> list[str]:
    listing = client.list_objects_v2(Bucket=client.portal_bucket)
    return sorted(item["Key"] for item in listing.get("Contents", []))


def _fetch(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - the test's server
        return response.read(), response.headers  # headers: case-insensitive


def _upload(user, application, data: bytes, name: str = "执照.pdf"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return api_as(user).post(
        f"/api/v1/applications/{application.reference}/evidence/",
        {
            "material_code": application.rule_version.rule.materials[0].code,
            "file": SimpleUploadedFile(name, data, content_type="application/pdf"),
        },
        format="multipart",
    )


def test_upload_goes_to_the_bucket_and_downloads_by_presigned_url(
    bucket, application_factory, demo, client
):
    application = application_factory()
    data = pdf_bytes(2)
    response = _upload(demo["qindu_corp"], application, data)
    assert response.status_code == 201, response.content
    evidence = EvidenceFile.objects.get(pk=response.json()["evidence_id"])
    # Every stored file (the factory's own upload and this one) is an object in the bucket.
    assert evidence.file.name in _keys(bucket)
    assert _keys(bucket) == sorted(EvidenceFile.objects.values_list("file", flat=True))
    assert evidence.file.name.startswith(f"evidence/{application.organisation_id}/")

    # Another organisation: the selector says no, and no URL is handed out.
    client.force_login(demo["weicheng_corp"])
    denied = client.get(f"/applications/files/{evidence.pk}/")
    assert denied.status_code == 404 and "Location" not in denied

    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    url = response["Location"]
    query = parse_qs(urlparse(url).query)
    assert query["X-Amz-Expires"] == ["120"]  # short-lived, from S3_PRESIGNED_SECONDS
    body, headers = _fetch(url)
    assert body == data
    assert headers["Content-Type"] == "application/pdf"
    assert "attachment" in headers["Content-Disposition"]
    assert "%E6%89%A7%E7%85%A7.pdf" in headers["Content-Disposition"]  # 执照.pdf
    # The object itself is private: without the signature the store refuses it.
    with pytest.raises(urllib.error.HTTPError) as refused:
        _fetch(url.split("?")[0])
    assert refused.value.code == 403


def test_presigned_url_uses_the_public_endpoint(
    bucket, s3_endpoint, application_factory, demo, settings
):
    from django.test import Client

    public = s3_endpoint.replace("127.0.0.1", "localhost")  # what browsers would use
    env = {**_s3_env(s3_endpoint, bucket.portal_bucket), "S3_PUBLIC_ENDPOINT_URL": public}
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_options(env)}
    application = application_factory()
    evidence = application.materials.first().evidence
    page = Client()
    page.force_login(demo["qindu_corp"])
    response = page.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"{public}/{bucket.portal_bucket}/evidence/")
    body, _headers = _fetch(response["Location"])
    assert body.startswith(b"%PDF")


def test_letter_written_by_task_is_in_the_bucket(bucket, case_factory, demo, client):
    application = case_factory(
        Status.APPROVED, approved=Decimal("120000.00"), recommended=Decimal("120000.00")
    )
    from reviews.letters.tasks import letters_generate

    [number] = letters_generate.delay([application.pk]).get()  # eager: the task's own code
    letter = application.letters.get()
    assert letter.number == number
    assert [key for key in _keys(bucket) if key.startswith("letters/")] == [letter.pdf.name]
    client.force_login(demo["weicheng_corp"])
    assert client.get(f"/reviews/letters/{letter.pk}/download/").status_code == 404
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/reviews/letters/{letter.pk}/download/")
    assert response.status_code == 302
    body, headers = _fetch(response["Location"])
    assert body.startswith(b"%PDF") and headers["Content-Type"] == "application/pdf"


@pytest.mark.worker
def test_real_worker_writes_letter_to_the_bucket(bucket, celery_worker_process, case_factory):
    application = case_factory(
        Status.APPROVED, approved=Decimal("90000.00"), recommended=Decimal("90000.00")
    )
    from reviews.letters.tasks import letters_generate

    letters_generate.delay([application.pk])  # fire and forget (no result store)
    deadline = time.monotonic() + 60
    while not application.letters.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    letter = application.letters.get()
    assert letter.number.startswith("咸工信奖〔")
    assert [key for key in _keys(bucket) if key.startswith("letters/")] == [letter.pdf.name]
    head = bucket.get_object(Bucket=bucket.portal_bucket, Key=letter.pdf.name)
    assert head["Body"].read(4) == b"%PDF"


def test_orphans_are_deleted_and_referenced_files_kept(bucket, application_factory, demo):
    application = application_factory()
    assert _upload(demo["qindu_corp"], application, pdf_bytes()).status_code == 201
    kept = _keys(bucket)
    assert kept == sorted(EvidenceFile.objects.values_list("file", flat=True))
    orphan = f"evidence/{application.organisation_id}/rolled-back.pdf"
    bucket.put_object(Bucket=bucket.portal_bucket, Key=orphan, Body=b"%PDF-1.7 orphan")
    elsewhere = "unrelated/report.txt"  # outside the swept folders: never touched
    bucket.put_object(Bucket=bucket.portal_bucket, Key=elsewhere, Body=b"x")

    # Too recent: an upload whose transaction may still be open is left alone.
    assert orphans_delete(older_than=timedelta(hours=1)) == []
    assert orphans_delete(older_than=timedelta(seconds=-60)) == [orphan]
    assert _keys(bucket) == sorted([*kept, elsewhere])


def _store_away(settings) -> None:
    """The default storage points at a port where nothing listens."""
    env = _s3_env(f"http://127.0.0.1:{_free_port()}", "portal-away")
    settings.STORAGES = {**settings.STORAGES, "default": s3_storage_options(env)}


def test_store_away_download_is_a_clear_503(application_factory, demo, client, settings):
    application = application_factory(submit=True)  # its file is on the filesystem
    evidence = application.materials.first().evidence
    _store_away(settings)
    client.force_login(demo["qindu_corp"])
    response = client.get(f"/applications/files/{evidence.pk}/")
    assert response.status_code == 503
    assert "文件存储暂时无法访问，请稍后再试。" in response.content.decode()
    assert response["Retry-After"] == "30"


def test_store_away_upload_is_refused_and_nothing_is_stored(application_factory, demo, settings):
    application = application_factory()
    application.materials.all().delete()
    _store_away(settings)
    before = EvidenceFile.objects.count()
    response = _upload(demo["qindu_corp"], application, pdf_bytes())
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "storage_unavailable"
    assert body["message"] == "文件存储暂时无法访问，请稍后再试。"
    assert EvidenceFile.objects.count() == before
    assert not application.materials.exists()


def test_store_away_upload_page_shows_the_message(application_factory, demo, settings):
    from django.test import Client

    application = application_factory()
    before = EvidenceFile.objects.count()
    _store_away(settings)
    page = Client()
    page.force_login(demo["qindu_corp"])
    code = application.rule_version.rule.materials[0].code
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = page.post(
        f"/applications/{application.reference}/edit/",
        {
            "action": "save",
            f"file_{code}": SimpleUploadedFile("a.pdf", pdf_bytes(), "application/pdf"),
        },
    )
    assert response.status_code == 200
    assert "文件存储暂时无法访问，请稍后再试。" in response.content.decode()
    assert EvidenceFile.objects.count() == before


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"S3_ENDPOINT_URL": "http://minio:9000"}, "S3_BUCKET"),
        ({"S3_BUCKET": "Bad_Bucket", **KEYS}, "S3_BUCKET"),
        ({"S3_BUCKET": "portal"}, "S3_ACCESS_KEY_ID"),
        ({"S3_BUCKET": "portal", "S3_ACCESS_KEY_ID": "k"}, "S3_SECRET_ACCESS_KEY"),
        ({"S3_BUCKET": "portal", **KEYS, "S3_ENDPOINT_URL": "minio:9000"}, "S3_ENDPOINT_URL"),
        ({"S3_BUCKET": "portal", **KEYS, "S3_PRESIGNED_SECONDS": "1 day"}, "S3_PRESIGNED_SECONDS"),
        ({"S3_BUCKET": "portal", **KEYS, "S3_PRESIGNED_SECONDS": "86400"}, "S3_PRESIGNED_SECONDS"),
        ({"S3_BUCKET": "portal", **KEYS, "S3_ADDRESSING_STYLE": "x"}, "S3_ADDRESSING_STYLE"),
    ],
)
def test_invalid_s3_configuration_names_the_setting(env, named):
    with pytest.raises(ImproperlyConfigured) as refused:
        s3_storage_options(env)
    assert str(refused.value).startswith(named + ":")


def test_no_s3_configuration_means_the_filesystem():
    assert s3_storage_options({}) is None
