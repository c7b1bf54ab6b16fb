import os
import subprocess
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo.sh"


def test_it_refuses_a_port_that_is_not_a_number(tmp_path):
    env = {**os.environ, "PORT": "80; rm -rf /"}
    result = subprocess.run(["bash", str(SCRIPT)], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "PORT must be a number from 1 to 65535" in result.stderr
    assert not (tmp_path / "var").exists()
