"""The file is read once, in the background; the review page shows what that read stored."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from followthrough.integrations import imports
from followthrough.integrations.models import ImportJob

CSV = b"Name,Email,Phone\nAda,ada@example.com,\nBob,not-an-email,\n"


def count_calls(monkeypatch, name: str) -> list:
    calls = []
    real = getattr(imports, name)

    def counted(*args, **kwargs):
        calls.append(name)
        return real(*args, **kwargs)

    monkeypatch.setattr(imports, name, counted)
    return calls


def test_it_reads_the_file_once_however_often_the_review_page_is_viewed(
        owner_client, business, read_inline, monkeypatch):
    reads, checks = count_calls(monkeypatch, "read_table"), count_calls(monkeypatch, "check")
    response = read_inline(owner_client, CSV)

    pages = [owner_client.get(response.url).content.decode() for _ in range(3)]

    assert (len(reads), len(checks)) == (1, 1)
    assert all("not an email address" in page and "<td>3</td>" in page for page in pages)


def test_it_does_not_read_the_file_while_uploading(owner_client, business, monkeypatch):
    reads = count_calls(monkeypatch, "read_table")

    owner_client.post(reverse("import_upload"),
                      {"file": SimpleUploadedFile("people.csv", CSV), "kind": "customers"})

    assert reads == []
    assert ImportJob.objects.get(business=business).status == ImportJob.READING


def test_it_shows_a_reading_page_that_polls_until_the_preview_is_stored(
        owner_client, business, monkeypatch):
    response = owner_client.post(reverse("import_upload"), {
        "file": SimpleUploadedFile("people.csv", CSV), "kind": "customers"})
    page = owner_client.get(response.url).content.decode()
    job = ImportJob.objects.get(business=business)

    assert "Reading your file" in page and "every 1s" in page
    assert imports.run_due_jobs() == 1  # the worker's pass
    poll = owner_client.get(reverse("import_progress", args=[job.public_id]),
                            headers={"HX-Request": "true"})
    assert poll["HX-Redirect"] == reverse("import_detail", args=[job.public_id])


def test_it_checks_a_changed_mapping_once_in_the_background(
        owner_client, business, read_inline, monkeypatch, django_capture_on_commit_callbacks):
    response = read_inline(owner_client, b"Who,Mail\nAda,ada@example.com\n")
    checks = count_calls(monkeypatch, "check")
    job = ImportJob.objects.get(business=business)

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.post(response.url, {"map_name": "Who", "map_email": "Mail"})
    owner_client.get(response.url)
    owner_client.get(response.url)

    job.refresh_from_db()
    assert len(checks) == 1
    assert (job.mapping, job.preview["valid"]) == ({"name": "Who", "email": "Mail"}, 1)


def test_it_ignores_a_mapping_to_a_column_the_file_does_not_have(owner_client, business,
                                                                 read_inline):
    response = read_inline(owner_client, b"Who,Mail\nAda,ada@example.com\n")

    owner_client.post(response.url, {"map_name": "Nope", "map_email": "Mail"})

    assert ImportJob.objects.get(business=business).mapping == {"email": "Mail"}


def test_it_reads_a_job_uploaded_before_reads_were_stored(owner_client, business,
                                                         inline_imports,
                                                         django_capture_on_commit_callbacks):
    job = ImportJob.objects.create(business=business, filename="old.csv", data=CSV,
                                   status=ImportJob.MAPPING)
    url = reverse("import_detail", args=[job.public_id])

    with django_capture_on_commit_callbacks(execute=True):
        assert "Reading your file" in owner_client.get(url).content.decode()

    assert "not an email address" in owner_client.get(url).content.decode()
