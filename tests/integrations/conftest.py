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
