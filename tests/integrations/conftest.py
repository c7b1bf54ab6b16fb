import pytest

from followthrough.playbooks.library import install_builtin_playbooks


@pytest.fixture
def playbooks(business):
    return install_builtin_playbooks(business)


@pytest.fixture
def inline_imports(monkeypatch):
    """The worker takes a job the moment it is marked: run_due_jobs() once the request that
    started or re-read an import commits, as the worker's next pass would."""
    from django.db import transaction

    from followthrough.integrations import imports

    for name in ("start", "start_reading"):
        original = getattr(imports, name)

        def marked(job, original=original):
            original(job)
            transaction.on_commit(imports.run_due_jobs)
        monkeypatch.setattr(imports, name, marked)


@pytest.fixture
def read_inline(inline_imports, django_capture_on_commit_callbacks):
    """upload(client, data, name, kind): the upload reads its file on the calling thread
    once it commits, as the background thread would."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    def send(client, data, name="people.csv", kind="customers"):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(reverse("import_upload"),
                               {"file": SimpleUploadedFile(name, data), "kind": kind})
    return send
