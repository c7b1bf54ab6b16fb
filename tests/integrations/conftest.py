import pytest

from followthrough.playbooks.library import install_builtin_playbooks


@pytest.fixture
def playbooks(business):
    return install_builtin_playbooks(business)


@pytest.fixture
def inline_imports(monkeypatch):
    """Run queued imports on the calling thread instead of a background one."""
    from followthrough.integrations import imports

    monkeypatch.setattr(imports, "runner", imports.run_job)


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
